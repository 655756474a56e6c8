//! Where a model comes from, told honestly: its identity (hashes, cached per file), what its file says
//! it is made of (architecture summary), what the known-models registry says of it, and, against
//! reference models the user picks, evidence of the models it was merged from.

pub mod composition;
pub mod hash;
pub mod hash_cache;
pub mod registry;
pub mod report;
pub mod summary;

pub use hash::{FileIdentity, HashError};
pub use hash_cache::HashCache;
pub use registry::{CommercialUse, KnownModel, MatchedBy, Registry};
pub use report::{License, LicenseSource, ModelReport, license_of};
pub use summary::{ArchitectureSummary, Component};

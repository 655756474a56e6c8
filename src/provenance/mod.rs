//! Where a model comes from, told honestly: its identity (hashes, cached per file; for LoRAs and
//! embeddings also A1111's and Civitai's network hashes, and which networks of a picture are here), what its file says
//! it is made of (architecture summary), what the known-models registry says of it, and, against
//! reference models the user picks, evidence of the models it was merged from.

pub mod composition;
pub mod hash;
pub mod hash_cache;
pub mod network_check;
pub mod network_hash;
pub mod registry;
pub mod report;
pub mod summary;

pub use hash::{FileIdentity, HashError};
pub use hash_cache::HashCache;
pub use network_check::{LocalNetwork, LocalNetworks, NetworkCheck, NetworkLookup, NetworkPresence, check_networks};
pub use network_hash::{NetworkFileHashes, hash_network_file};
pub use registry::{CommercialUse, KnownModel, MatchedBy, Registry};
pub use report::{License, LicenseSource, ModelReport, license_of};
pub use summary::{ArchitectureSummary, Component};

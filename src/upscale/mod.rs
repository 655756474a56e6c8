//! Making pictures bigger as A1111 does: Pillow's Lanczos and nearest resampling, ESRGAN-family networks
//! (RRDBNet, from the user's own `.pth`/`.safetensors` files) run tile by tile, and the tile grid that also
//! carries "SD upscale"; and hires fix's latent upscalers.

mod architecture;
mod error;
mod folders;
mod grid;
mod latent;
mod network;
mod resize;
mod upscaler;

pub use architecture::{Conv, KeyLayout, RrdbArchitecture};
pub use error::UpscaleError;
pub use folders::{UpscalerChoice, UpscalerFile, find_upscaler, upscaler_files, upscaler_folders};
pub use grid::TileGrid;
pub use latent::LatentUpscale;
pub use network::RrdbNet;
pub use resize::{Resample, first_channel, gray_to_rgb, resize, resize_gray};
pub use upscaler::{MAX_SIDE, NetworkUpscaler, Tiling, UpscaleProgress, Upscaler};

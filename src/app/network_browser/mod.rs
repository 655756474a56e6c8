//! The LoRA and embedding browser's data: the folders' listing and the cards' pictures, both made on
//! the service thread `nurie-networks` (listing walks folders, a preview is a file to decode), asked
//! for on request (the Refresh button, the window coming back to the front) and kept as textures.

mod listing;
mod thumbnail;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::Receiver;

pub use listing::{EmbeddingCard, ListRequest, Listing, folder_list, list};
pub use thumbnail::{preview_file, thumbnail};

use crate::app::service::{Emitter, Service, Waker};
use crate::networks::embedding::EmbeddingLibrary;

/// Pictures asked for but not decoded yet, at most (the rest are asked for in later frames).
const COMMAND_CAPACITY: usize = 32;
const EVENT_CAPACITY: usize = 8;

enum Command {
    List(ListRequest),
    Thumbnail(PathBuf),
    Stop,
}

enum Event {
    Listed(Box<Listing>),
    Thumbnail { network: PathBuf, image: Option<egui::ColorImage> },
}

/// The browser's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Lora,
    Embedding,
}

enum Picture {
    Asked,
    Ready(egui::TextureHandle),
    None,
}

/// What the browser shows, and its search text and tab.
pub struct NetworkBrowser {
    service: Option<Service<Command, Event>>,
    listing: Option<Listing>,
    /// A listing asked for and not answered yet; `Some` while it could not be sent.
    listing_asked: Option<Option<ListRequest>>,
    pictures: HashMap<PathBuf, Picture>,
    /// Counts the listings received (what depends on one is worked out again when it changes).
    pub generation: u64,
    pub search: String,
    pub tab: Tab,
}

impl NetworkBrowser {
    /// Starts the service thread; without it the browser stays empty (and says it is looking).
    pub fn start(waker: Waker) -> Self {
        let service = Service::start("networks", (COMMAND_CAPACITY, EVENT_CAPACITY), waker, serve).ok();
        Self {
            service,
            listing: None,
            listing_asked: None,
            pictures: HashMap::new(),
            generation: 0,
            search: String::new(),
            tab: Tab::default(),
        }
    }

    /// Lists the folders again; `forget_pictures` decodes the previews again too (the Refresh button:
    /// a preview may have been replaced), otherwise only those that were missing are looked for again.
    pub fn refresh(&mut self, request: ListRequest, forget_pictures: bool) {
        if forget_pictures {
            self.pictures.clear();
        } else {
            self.pictures.retain(|_, picture| !matches!(picture, Picture::None));
        }
        self.listing_asked = Some(Some(request));
        self.send_waiting_listing();
    }

    fn send_waiting_listing(&mut self) {
        let (Some(service), Some(Some(request))) = (&self.service, &self.listing_asked) else { return };
        if service.try_send(Command::List(request.clone())) {
            self.listing_asked = Some(None);
        }
    }

    /// True from a refresh until its listing arrives.
    pub fn is_listing(&self) -> bool {
        self.listing_asked.is_some()
    }

    pub fn listing(&self) -> Option<&Listing> {
        self.listing.as_ref()
    }

    /// The embeddings of the latest listing.
    pub fn embeddings(&self) -> Option<Arc<EmbeddingLibrary>> {
        self.listing.as_ref().map(|listing| listing.embeddings.clone())
    }

    /// Takes the service's answers; true when a new listing arrived.
    pub fn poll(&mut self, ctx: &egui::Context) -> bool {
        self.send_waiting_listing();
        let mut listed = false;
        while let Some(event) = self.service.as_ref().and_then(|service| service.try_event().ok().flatten()) {
            match event {
                Event::Listed(listing) => {
                    self.listing = Some(*listing);
                    self.generation += 1;
                    listed = true;
                    if self.listing_asked == Some(None) {
                        self.listing_asked = None;
                    }
                }
                Event::Thumbnail { network, image } => {
                    let picture = match image {
                        Some(image) => {
                            Picture::Ready(ctx.load_texture(format!("network-{}", network.display()), image, Default::default()))
                        }
                        None => Picture::None,
                    };
                    self.pictures.insert(network, picture);
                }
            }
        }
        listed
    }

    /// The card picture of `network`: asked for the first time a card shows it, `None` until it has
    /// arrived or when there is none.
    pub fn picture(&mut self, network: &Path) -> Option<&egui::TextureHandle> {
        if !self.pictures.contains_key(network)
            && self.service.as_ref().is_some_and(|service| service.try_send(Command::Thumbnail(network.to_path_buf())))
        {
            self.pictures.insert(network.to_path_buf(), Picture::Asked);
        }
        match self.pictures.get(network) {
            Some(Picture::Ready(texture)) => Some(texture),
            Some(Picture::Asked | Picture::None) | None => None,
        }
    }

    /// Whether the card picture of `network` has arrived.
    pub fn has_picture(&self, network: &Path) -> bool {
        matches!(self.pictures.get(network), Some(Picture::Ready(_)))
    }

    /// Stops the service thread (window closing).
    pub fn stop(&mut self) {
        if let Some(service) = self.service.take() {
            service.stop(Command::Stop);
        }
    }
}

/// The service: listings and pictures, in the order asked.
fn serve(commands: Receiver<Command>, emitter: Emitter<Event>) {
    while let Ok(command) = commands.recv() {
        let event = match command {
            Command::Stop => return,
            Command::List(request) => Event::Listed(Box::new(list(&request))),
            Command::Thumbnail(network) => {
                let image = thumbnail(&network);
                Event::Thumbnail { network, image }
            }
        };
        if !emitter.send(event) {
            return;
        }
    }
}

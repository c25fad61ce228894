//! `cyborg annotate`: human saliency maps for images that have none, drawn in the browser.
//!
//! [`AnnotationServer::start`] serves a page on this machine (HTML and JavaScript from the
//! binary; nothing from the network) where an annotator marks what matters in each image of a
//! manifest with a brush, rectangles and lassos. Each save writes the map as an 8-bit PNG at
//! the image's size, a manifest `cyborg train` reads as it is, and a line of an append-only
//! log ([`AnnotationStore`] says where). [`merge_annotators`] averages several annotators'
//! maps and measures how much they agree.
//!
//! ```no_run
//! use cyborg_annotate::{AnnotationServer, AnnotationStore, ServerConfig};
//!
//! let records = cyborg_data::read_manifest("train.csv", None)?;
//! let store = AnnotationStore::open(records, "annotations", "ada")?;
//! let server = AnnotationServer::start(store, &ServerConfig::default())?;
//! println!("open {}", server.url());
//! server.wait();
//! # Ok::<(), cyborg_annotate::AnnotateError>(())
//! ```

mod agreement;
mod api;
mod error;
mod map_file;
mod merge;
mod names;
mod save_log;
mod server;
mod store;
mod timestamp;
mod upload;

pub use agreement::*;
pub use error::*;
pub use merge::*;
pub use save_log::{SaveEntry, read_entries};
pub use server::*;
pub use store::*;
pub use upload::*;

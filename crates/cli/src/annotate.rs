//! `cyborg annotate`: a local web page for drawing human maps, one image at a time.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{ArgGroup, Args};
use cyborg_annotate::{AnnotationServer, AnnotationStore, ServerConfig};
use cyborg_data::{
    DataError, IMAGE_EXTENSIONS, Record, Records, files_with_extensions, read_image_folder,
    read_manifest,
};

use crate::error::CliError;

/// Draw human saliency maps in the browser: starts a web server on this machine and prints the
/// address to open. Each save writes the map (an 8-bit PNG at the image's size) under
/// `OUT/maps/<annotator>/`, the manifest `OUT/<annotator>.csv` that `cyborg train` reads, and a
/// line of `OUT/<annotator>-log.jsonl`. Running it again with the same --out continues.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("input").required(true).args(["manifest", "images"])))]
pub struct AnnotateArgs {
    /// The manifest CSV (image,saliency,label) of the images to annotate.
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// A folder of images instead: `FOLDER/<class>/<image>`, or the images directly in it (one
    /// class, the folder's name).
    #[arg(long)]
    images: Option<PathBuf>,
    /// The folder for the maps, the manifest and the log (created if needed).
    #[arg(long)]
    out: PathBuf,
    /// Whose maps these are (letters, digits, '-', '_', '.'); the user name by default.
    #[arg(long)]
    annotator: Option<String>,
    /// The address to listen on. Anything but loopback lets the network in: the token in the
    /// printed address still guards every request.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The port; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Ask which class each image is (keys 1–9, 0), as the CYBORG authors did; recorded in the
    /// log, and the page hides the manifest's label.
    #[arg(long)]
    ask_label: bool,
}

/// Runs `cyborg annotate` until the process is stopped.
pub fn run(args: &AnnotateArgs) -> Result<(), CliError> {
    let records = match (&args.manifest, &args.images) {
        (Some(manifest), _) => read_manifest(manifest, None)?,
        (None, Some(folder)) => image_folder(folder)?,
        (None, None) => unreachable!("clap requires --manifest or --images"),
    };
    let annotator = args.annotator.clone().unwrap_or_else(user_name);
    let store = AnnotationStore::open(records, &args.out, &annotator)?;
    let config = ServerConfig::default()
        .with_host(&args.host)
        .with_port(args.port)
        .with_ask_label(args.ask_label);
    if !config.is_loopback() {
        eprintln!(
            "warning: listening on {}, not loopback: other machines can reach the page (the \
             token still guards it)",
            args.host
        );
    }
    let (done, total, manifest) = (store.annotated(), store.len(), store.manifest_path());
    let server = AnnotationServer::start(store, &config)?;
    println!(
        "{done} of {total} images have a map of {annotator}'s; saves go to {}",
        manifest.display()
    );
    println!(
        "open {} in a browser; Ctrl+C stops (every saved map is on disk)",
        server.url()
    );
    // The address is what a script waiting for it reads.
    let _ = std::io::stdout().flush();
    server.wait();
    Ok(())
}

/// `FOLDER/<class>/<image>`, or a flat folder of images as one class named after it.
fn image_folder(folder: &Path) -> Result<Records, CliError> {
    match read_image_folder(folder, None) {
        Err(DataError::Empty { .. }) => {}
        other => return Ok(other?),
    }
    let images = files_with_extensions(folder, &IMAGE_EXTENSIONS).map_err(CliError::io(folder))?;
    let class = folder
        .canonicalize()
        .ok()
        .and_then(|f| f.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "images".into());
    let items = images
        .into_iter()
        .map(|image| Record {
            image,
            saliency: None,
            label: 0,
        })
        .collect();
    Ok(Records::non_empty(items, vec![class], folder, "images")?)
}

/// The login name (leading dots dropped, characters an annotator name cannot hold replaced by
/// `_`), or `annotator`.
fn user_name() -> String {
    let login = ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|n| !n.is_empty()))
        .unwrap_or_default();
    let name: String = login
        .trim_start_matches('.')
        .chars()
        .map(
            |c| match c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                true => c,
                false => '_',
            },
        )
        .take(64)
        .collect();
    match name.is_empty() {
        true => "annotator".into(),
        false => name,
    }
}

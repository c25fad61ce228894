//! The local web server of `cyborg annotate`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use serde::{Deserialize, Serialize};

use crate::api::{Api, Incoming};
use crate::{AnnotateError, AnnotationStore};

/// How the annotation server listens and what the page asks. Built into an
/// [`AnnotationServer`] by [`AnnotationServer::start`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerConfig {
    /// The address to listen on. The default, `127.0.0.1`, is reachable from this machine
    /// only; anything else lets the network in (the token still guards every request).
    pub host: String,
    /// The port; 0 picks a free one.
    pub port: u16,
    /// Whether the page asks the annotator which class the image is (keys 1–9, 0).
    pub ask_label: bool,
    /// The largest map upload accepted, in bytes.
    pub max_upload_bytes: usize,
    /// Threads answering requests.
    pub workers: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 0,
            ask_label: false,
            max_upload_bytes: 64 << 20,
            workers: 4,
        }
    }
}

impl ServerConfig {
    /// The default with `host`.
    pub fn with_host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into();
        self
    }

    /// The default with `port`.
    pub fn with_port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// With or without the class question.
    pub fn with_ask_label(mut self, ask_label: bool) -> Self {
        self.ask_label = ask_label;
        self
    }

    /// With another upload limit.
    pub fn with_max_upload_bytes(mut self, bytes: usize) -> Self {
        self.max_upload_bytes = bytes;
        self
    }

    /// Whether `host` is a loopback address (`127.0.0.0/8`, `::1`, `localhost`).
    pub fn is_loopback(&self) -> bool {
        self.host == "localhost"
            || self
                .host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

/// A running annotation server: serves the page and saves maps into its
/// [`AnnotationStore`] until stopped. Built by [`AnnotationServer::start`] from a
/// [`ServerConfig`].
pub struct AnnotationServer {
    server: Arc<tiny_http::Server>,
    address: SocketAddr,
    token: String,
    workers: Vec<JoinHandle<()>>,
}

impl AnnotationServer {
    /// Listens on the config's address with a fresh random token and answers requests on
    /// background threads.
    ///
    /// # Errors
    /// [`AnnotateError::Bind`] if the address cannot be listened on,
    /// [`AnnotateError::Random`] if the system has no randomness for the token.
    pub fn start(store: AnnotationStore, config: &ServerConfig) -> Result<Self, AnnotateError> {
        let token = random_token()?;
        let address = format!("{}:{}", config.host, config.port);
        let server = tiny_http::Server::http(&address).map_err(|source| AnnotateError::Bind {
            address: address.clone(),
            source,
        })?;
        let Some(bound) = server.server_addr().to_ip() else {
            return Err(AnnotateError::Bind {
                address,
                source: "not an IP socket".into(),
            });
        };
        let server = Arc::new(server);
        let api = Arc::new(Api {
            store: Mutex::new(store),
            token: token.clone(),
            ask_label: config.ask_label,
            max_upload_bytes: config.max_upload_bytes,
        });
        let workers = (0..config.workers.max(1))
            .map(|_| {
                let (server, api) = (Arc::clone(&server), Arc::clone(&api));
                std::thread::spawn(move || serve(&server, &api))
            })
            .collect();
        Ok(Self {
            server,
            address: bound,
            token,
            workers,
        })
    }

    /// The address listened on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The session's token, which every request must carry.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The address to open in a browser, token included.
    pub fn url(&self) -> String {
        format!("http://{}/?token={}", self.address, self.token)
    }

    /// Blocks until the server stops (it runs until the process ends).
    pub fn wait(mut self) {
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }

    /// Stops answering and waits for the requests in flight.
    pub fn stop(mut self) {
        for _ in &self.workers {
            self.server.unblock();
        }
        for worker in self.workers.drain(..) {
            let _ = worker.join();
        }
    }
}

/// Answers requests until the server is unblocked.
fn serve(server: &tiny_http::Server, api: &Api) {
    for mut request in server.incoming_requests() {
        let method = request.method().as_str().to_string();
        let url = request.url().to_string();
        let token_header = request
            .headers()
            .iter()
            .find(|h| h.field.equiv("X-Cyborg-Token"))
            .map(|h| h.value.as_str().to_string());
        let body_length = request.body_length();
        let reply = api.handle(Incoming {
            method: &method,
            url: &url,
            token_header: token_header.as_deref(),
            body_length,
            body: request.as_reader(),
        });
        let headers = [
            ("Content-Type", reply.content_type),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
            (
                "Content-Security-Policy",
                "default-src 'none'; img-src 'self' blob: data:; connect-src 'self'; \
                 style-src 'unsafe-inline'; script-src 'unsafe-inline'",
            ),
        ];
        let mut response =
            tiny_http::Response::from_data(reply.body).with_status_code(reply.status);
        for (field, value) in headers {
            if let Ok(header) = tiny_http::Header::from_bytes(field, value) {
                response.add_header(header);
            }
        }
        // The browser may have gone; nothing to do about it.
        let _ = request.respond(response);
    }
}

/// 128 random bits as 32 hex digits.
fn random_token() -> Result<String, AnnotateError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(AnnotateError::Random)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

//! Server configuration, loaded in layers: built-in defaults (the example file below, embedded
//! so docs and defaults cannot drift), then a TOML file, then `PLUMBLINE_*` environment
//! variables (`__` for nesting, e.g. `PLUMBLINE_LIMITS__MAX_BODY_BYTES`), then command-line
//! flags. Validated once, at startup, into typed values.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

pub use crate::blob_store::BlobConfig;

/// The default configuration file, with comments; `print-default-config` prints it.
pub const DEFAULT_CONFIG: &str = include_str!("../plumbline-server.toml");

/// Everything the server needs to start.
#[derive(Clone, Serialize, Deserialize)]
pub struct Config {
    /// Folder for the database, blobs and the server id.
    pub data_dir: PathBuf,
    /// Address of the API and office web.
    pub listen: SocketAddr,
    /// Address of the Prometheus metrics listener; empty to disable.
    pub metrics_listen: String,
    /// Database settings.
    pub db: DbConfig,
    /// Blob storage settings.
    pub blobs: BlobConfig,
    /// Request bounds.
    pub limits: Limits,
    /// Connection bounds.
    #[serde(default)]
    pub connections: ConnectionLimits,
    /// When documents are folded into snapshots.
    pub compaction: CompactionConfig,
    /// The office web.
    pub web: WebConfig,
    /// Printed documents.
    #[serde(default)]
    pub paper: PaperConfig,
    /// Telling people: reminders, escalations and work-group robots.
    #[serde(default)]
    pub notify: NotifyConfig,
}

/// How many connections are open at once and how long a request's headers may take (see
/// `crate::connections`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConnectionLimits {
    /// Most connections open at once; keep it well under the process's open-file limit.
    pub max_connections: usize,
    /// Most connections open at once from one address (a site's phones may share one).
    pub max_per_address: usize,
    /// Seconds a client has to send a request's headers before the connection is closed. It
    /// also bounds how long an idle kept-alive connection stays open (hyper times the wait for
    /// the next request's headers); browsers open a new one when they find it closed.
    pub header_read_timeout_secs: u64,
    /// Reverse proxies whose `X-Forwarded-For` is believed (their own addresses, e.g.
    /// `["127.0.0.1"]` for nginx on the same machine); see `crate::forwarded`. Empty: the
    /// header is ignored.
    #[serde(default)]
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: 512,
            max_per_address: 64,
            header_read_timeout_secs: 20,
            trusted_proxies: Vec::new(),
        }
    }
}

/// How reminders reach work-group robots (see `crate::webhook`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NotifyConfig {
    /// Seconds between passes of the robot sender; 0 turns it off (queued messages wait).
    pub webhook_every_secs: u64,
    /// Seconds one robot request may take before it counts as failed.
    pub webhook_timeout_secs: u64,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            webhook_every_secs: 5,
            webhook_timeout_secs: 10,
        }
    }
}

/// Printed documents (see `crate::paper`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PaperConfig {
    /// The font file PDFs are drawn with; empty means Noto Sans CJK SC (or another CJK family)
    /// among the system's fonts.
    #[serde(default)]
    pub font_file: String,
}

/// Office web settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WebConfig {
    /// Mark the cookies `Secure`, so browsers send them over HTTPS only. Off by default because
    /// a browser refuses a `Secure` cookie on plain `http://`, which is how a loopback or LAN
    /// server is reached; turn it on when the server sits behind a TLS-terminating proxy.
    pub secure_cookies: bool,
    /// The address devices reach this server at (`https://plumbline.example.com`), written into
    /// enrollment QR codes; empty means the address the administrator's browser used.
    pub public_url: String,
}

/// When documents are folded into snapshots (see `crate::compaction`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CompactionConfig {
    /// Changes since the last snapshot that make a document due.
    pub min_changes: usize,
    /// Seconds between background passes; 0 disables them.
    pub every_secs: u64,
}

/// Database settings. `Debug` redacts the URL's password.
#[derive(Clone, Serialize, Deserialize)]
pub struct DbConfig {
    /// `sqlite:<path>` or `postgres://…`; empty means `sqlite:<data_dir>/plumbline.db`. May
    /// hold a password, so [`Config`]'s `Debug` redacts it.
    pub url: String,
}

/// Request bounds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Limits {
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Longest a request may take, in seconds.
    pub request_timeout_secs: u64,
    /// Most documents in one sync exchange.
    pub max_docs_per_request: usize,
    /// How long an enrollment code stays valid, in hours.
    pub enrollment_code_hours: i64,
}

impl std::fmt::Debug for DbConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbConfig")
            .field("url", &crate::store::redact(&self.url))
            .finish()
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("listen", &self.listen)
            .field("metrics_listen", &self.metrics_listen)
            .field("db", &self.db)
            .field("blobs", &self.blobs)
            .field("limits", &self.limits)
            .field("connections", &self.connections)
            .field("compaction", &self.compaction)
            .field("web", &self.web)
            .field("paper", &self.paper)
            .finish()
    }
}

/// Flags that override the configuration.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Overrides {
    /// `--data`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    /// `--listen`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    /// `--database`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub db: Option<DbOverride>,
}

/// `--database`: the `[db]` table's URL.
#[derive(Debug, Clone, Serialize)]
pub struct DbOverride {
    /// The database URL.
    pub url: String,
}

impl Config {
    /// Loads defaults, then `file` (when given or when `plumbline-server.toml` exists in the
    /// working folder), then the environment, then `overrides`.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Toml::string(DEFAULT_CONFIG));
        match file {
            Some(path) => {
                anyhow::ensure!(
                    path.exists(),
                    "configuration file {} does not exist",
                    path.display()
                );
                figment = figment.merge(Toml::file(path));
            }
            None => figment = figment.merge(Toml::file("plumbline-server.toml")),
        }
        figment = figment
            .merge(Env::prefixed("PLUMBLINE_").split("__"))
            .merge(Serialized::defaults(overrides));
        let config: Config = figment.extract().context("reading the configuration")?;
        config.validated()
    }

    /// The built-in defaults with `data_dir` and `listen` replaced (for tests and the demo).
    pub fn for_data_dir(data_dir: &Path, listen: SocketAddr) -> anyhow::Result<Self> {
        let mut config: Config = Figment::from(Toml::string(DEFAULT_CONFIG)).extract()?;
        config.data_dir = data_dir.to_owned();
        config.listen = listen;
        config.metrics_listen = String::new();
        config.validated()
    }

    fn validated(mut self) -> anyhow::Result<Self> {
        if self.db.url.is_empty() {
            self.db.url = format!("sqlite:{}", self.data_dir.join("plumbline.db").display());
        }
        if !self.paper.font_file.is_empty() {
            let path = std::path::Path::new(&self.paper.font_file);
            anyhow::ensure!(
                path.is_file(),
                "paper.font_file `{}` is not a file; point it at a .ttf, .otf or .ttc font with \
                 Chinese glyphs, or leave it empty for the system's Noto Sans CJK SC",
                path.display()
            );
        }
        if self.blobs.dir.is_empty() {
            self.blobs.dir = self.data_dir.join("blobs").display().to_string();
        }
        crate::blob_store::check(&self.blobs)?;
        anyhow::ensure!(
            self.limits.max_body_bytes >= 64 * 1024,
            "limits.max_body_bytes must be at least 65536"
        );
        anyhow::ensure!(
            self.limits.request_timeout_secs >= 1,
            "limits.request_timeout_secs must be at least 1"
        );
        anyhow::ensure!(
            (1..=1000).contains(&self.limits.max_docs_per_request),
            "limits.max_docs_per_request must be between 1 and 1000"
        );
        let c = &self.connections;
        anyhow::ensure!(
            c.max_connections >= 1 && c.max_per_address >= 1,
            "connections.max_connections and connections.max_per_address must be at least 1"
        );
        anyhow::ensure!(
            (1..=300).contains(&c.header_read_timeout_secs),
            "connections.header_read_timeout_secs must be between 1 and 300"
        );
        self.web.public_url = self.web.public_url.trim().trim_end_matches('/').to_owned();
        if !self.web.public_url.is_empty() {
            let url = &self.web.public_url;
            let rest = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"));
            anyhow::ensure!(
                rest.is_some_and(|r| !r.is_empty() && !r.contains(char::is_whitespace)),
                "web.public_url `{url}` is not an address like https://plumbline.example.com"
            );
        }
        if !self.metrics_listen.is_empty() {
            self.metrics_listen.parse::<SocketAddr>().with_context(|| {
                format!(
                    "metrics_listen `{}` is not an address like 127.0.0.1:9090",
                    self.metrics_listen
                )
            })?;
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load_and_flags_win() {
        let overrides = Overrides {
            data_dir: Some("/srv/p".into()),
            listen: Some("127.0.0.1:9999".parse().unwrap()),
            db: None,
        };
        let c = Config::load(None, &overrides).unwrap();
        assert_eq!(c.listen.port(), 9999);
        assert_eq!(c.db.url, "sqlite:/srv/p/plumbline.db");
        assert!(c.limits.max_body_bytes >= 1024 * 1024);
        let database = Overrides {
            db: Some(DbOverride {
                url: "postgres://app@db:5432/plumbline".into(),
            }),
            ..overrides
        };
        let c = Config::load(None, &database).unwrap();
        assert_eq!(c.db.url, "postgres://app@db:5432/plumbline");
        assert!(
            c.limits.max_body_bytes >= 1024 * 1024,
            "the rest of [db] and the file stay"
        );
    }

    #[test]
    fn cookies_are_not_secure_unless_configured_and_public_urls_are_checked() {
        let c = Config::for_data_dir(Path::new("d"), "127.0.0.1:1".parse().unwrap()).unwrap();
        assert!(!c.web.secure_cookies);
        assert!(c.web.public_url.is_empty());
        let mut c = c;
        c.web.public_url = "https://p.example.com/ ".into();
        assert_eq!(
            c.validated().unwrap().web.public_url,
            "https://p.example.com"
        );
        let mut c = Config::for_data_dir(Path::new("d"), "127.0.0.1:1".parse().unwrap()).unwrap();
        c.web.public_url = "p.example.com".into();
        assert!(c.validated().is_err());
    }

    #[test]
    fn a_configured_font_file_must_exist() {
        let mut c = Config::for_data_dir(Path::new("d"), "127.0.0.1:1".parse().unwrap()).unwrap();
        assert!(c.paper.font_file.is_empty(), "the system's font by default");
        c.paper.font_file = "/no/such/font.ttc".into();
        let e = c.validated().unwrap_err().to_string();
        assert!(
            e.contains("paper.font_file `/no/such/font.ttc` is not a file"),
            "{e}"
        );
    }

    #[test]
    fn debug_redacts_database_passwords() {
        let mut c = Config::for_data_dir(Path::new("d"), "127.0.0.1:1".parse().unwrap()).unwrap();
        c.db.url = "postgres://app:hunter2@db/x".into();
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}

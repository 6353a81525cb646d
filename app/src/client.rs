//! The sync server's HTTP API as the device calls it.
//!
//! Every failure is sorted into what the engine must do about it ([`ClientError`]): try again
//! later (no network, a timeout, a server error), stop and tell the user (the device was
//! revoked), or give up on this item with the server's own sentence (a refusal).

use std::time::Duration;

use plumbline_shared::api::{
    ApiErrorBody, ContractorAction, ContractorActionReply, EnrollRequest, EnrollResponse,
    ManifestRequest, ManifestResponse, NotificationItem, OffsetConflict, SyncRequest, SyncResponse,
    UploadStatus, from_postcard, to_postcard,
};
use plumbline_shared::ids::{BlobHash, ProjectId};
use plumbline_shared::projection::CaseRecord;
use reqwest::StatusCode;

const POSTCARD: &str = "application/x-postcard";

/// Why a call to the server failed, sorted by what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The server could not be reached or did not answer in time: try again later.
    #[error("the server cannot be reached: {0}")]
    Offline(String),
    /// The token is unknown or revoked: nothing more will work until the device enrolls again.
    #[error("this device is no longer signed in: {0}")]
    Unauthorized(String),
    /// The server refused the request; the message says why, for a person.
    #[error("the server refused: {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The server's message.
        message: String,
    },
    /// The server failed (5xx): try again later.
    #[error("the server had a problem ({status}); it will be tried again")]
    ServerFailed {
        /// The HTTP status.
        status: u16,
    },
    /// The reply could not be read: the app and the server do not speak the same version.
    #[error("the server's reply could not be read ({0}); the app may need an update")]
    BadReply(String),
}

impl ClientError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ClientError::Offline(_) | ClientError::ServerFailed { .. }
        )
    }
}

/// What a chunk upload led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkOutcome {
    /// Accepted; the status says where the upload stands.
    Accepted(UploadStatus),
    /// The server holds a different number of bytes: resume from there.
    ResumeAt(u64),
}

/// An HTTP client bound to one server.
#[derive(Debug, Clone)]
pub struct ServerClient {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl ServerClient {
    /// A client of the server at `server` (e.g. `https://plumbline.example.com`), with the
    /// device token once enrolled.
    pub fn new(server: &str, token: Option<String>) -> Result<Self, ClientError> {
        let server = server.trim().trim_end_matches('/');
        if !(server.starts_with("http://") || server.starts_with("https://")) {
            return Err(ClientError::Refused {
                status: 0,
                message: format!(
                    "`{server}` is not a server address; it starts with https:// (or http://)"
                ),
            });
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| ClientError::Offline(e.to_string()))?;
        Ok(Self {
            http,
            base: format!("{server}/api/v1"),
            token,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn authed(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        }
    }

    /// Trades a one-time code for a token.
    pub async fn enroll(&self, req: &EnrollRequest) -> Result<EnrollResponse, ClientError> {
        json_reply(self.http.post(self.url("/enroll")).json(req)).await
    }

    /// Step 1 of a sync.
    pub async fn manifest(&self, req: &ManifestRequest) -> Result<ManifestResponse, ClientError> {
        self.post_postcard("/sync/manifest", to_postcard(req)).await
    }

    /// Step 2 of a sync.
    pub async fn exchange(&self, req: &SyncRequest) -> Result<SyncResponse, ClientError> {
        self.post_postcard("/sync/exchange", to_postcard(req)).await
    }

    async fn post_postcard<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: Vec<u8>,
    ) -> Result<T, ClientError> {
        let res = self
            .authed(self.http.post(self.url(path)))
            .header(reqwest::header::CONTENT_TYPE, POSTCARD)
            .body(body)
            .send()
            .await
            .map_err(transport)?;
        let res = check(res).await?;
        let bytes = res.bytes().await.map_err(transport)?;
        from_postcard(&bytes).map_err(ClientError::BadReply)
    }

    /// The cases of `project` this device's person may see (a contractor: its company's).
    pub async fn cases(&self, project: &ProjectId) -> Result<Vec<CaseRecord>, ClientError> {
        json_reply(
            self.authed(self.http.get(self.url("/cases")))
                .query(&[("project", project.as_str()), ("limit", "500")]),
        )
        .await
    }

    /// The person's reminders and escalations, newest first.
    pub async fn notifications(&self) -> Result<Vec<NotificationItem>, ClientError> {
        json_reply(self.authed(self.http.get(self.url("/notifications")))).await
    }

    /// Sends a contractor's action; the same event id sent twice is stored once.
    pub async fn contractor_action(
        &self,
        action: &ContractorAction,
    ) -> Result<ContractorActionReply, ClientError> {
        json_reply(
            self.authed(self.http.post(self.url("/contractor/actions")))
                .json(action),
        )
        .await
    }

    /// How much of a blob the server holds.
    pub async fn upload_status(&self, hash: &BlobHash) -> Result<UploadStatus, ClientError> {
        json_reply(self.authed(self.http.get(self.url(&format!("/blobs/{hash}/status"))))).await
    }

    /// Downloads a whole blob (a photo of someone else's finding), at most `max_bytes`.
    pub async fn download(&self, hash: &BlobHash, max_bytes: u64) -> Result<Vec<u8>, ClientError> {
        let res = self
            .authed(self.http.get(self.url(&format!("/blobs/{hash}"))))
            .send()
            .await
            .map_err(transport)?;
        let mut res = check(res).await?;
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(transport)? {
            body.extend_from_slice(&chunk);
            if body.len() as u64 > max_bytes {
                return Err(ClientError::BadReply(format!(
                    "photo {hash} is larger than the {max_bytes} bytes a photo may have"
                )));
            }
        }
        Ok(body)
    }

    /// Sends one chunk of a blob, starting at `offset`, of a blob of `total` bytes.
    pub async fn put_chunk(
        &self,
        hash: &BlobHash,
        offset: u64,
        total: u64,
        chunk: Vec<u8>,
        kind: BlobType,
    ) -> Result<ChunkOutcome, ClientError> {
        let res = self
            .authed(
                self.http
                    .put(self.url(&format!("/blobs/{hash}?offset={offset}&total={total}"))),
            )
            .header(reqwest::header::CONTENT_TYPE, kind.content_type())
            .body(chunk)
            .send()
            .await
            .map_err(transport)?;
        if res.status() == StatusCode::CONFLICT {
            let body: OffsetConflict = res
                .json()
                .await
                .map_err(|e| ClientError::BadReply(e.to_string()))?;
            return Ok(ChunkOutcome::ResumeAt(body.offset));
        }
        let res = check(res).await?;
        let status = res
            .json()
            .await
            .map_err(|e| ClientError::BadReply(e.to_string()))?;
        Ok(ChunkOutcome::Accepted(status))
    }
}

fn transport(e: reqwest::Error) -> ClientError {
    ClientError::Offline(e.to_string())
}

/// Passes a successful response through; sorts a failed one.
/// Sends a request and reads its JSON reply, turning failures into [`ClientError`]s.
async fn json_reply<T: serde::de::DeserializeOwned>(
    req: reqwest::RequestBuilder,
) -> Result<T, ClientError> {
    let res = req.send().await.map_err(transport)?;
    let res = check(res).await?;
    res.json()
        .await
        .map_err(|e| ClientError::BadReply(e.to_string()))
}

async fn check(res: reqwest::Response) -> Result<reqwest::Response, ClientError> {
    let status = res.status();
    if status.is_success() {
        return Ok(res);
    }
    if status.is_server_error() || status == StatusCode::REQUEST_TIMEOUT {
        return Err(ClientError::ServerFailed {
            status: status.as_u16(),
        });
    }
    let text = res.text().await.unwrap_or_default();
    let message = serde_json::from_str::<ApiErrorBody>(&text)
        .map(|b| b.message)
        .unwrap_or(text);
    if status == StatusCode::UNAUTHORIZED {
        return Err(ClientError::Unauthorized(message));
    }
    Err(ClientError::Refused {
        status: status.as_u16(),
        message,
    })
}

/// What a blob is, as the upload declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobType {
    /// A photo or thumbnail.
    Jpeg,
    /// An owner's signature.
    Png,
}

impl BlobType {
    /// The type of `bytes` by their first bytes; anything not a PNG is sent as a JPEG (the
    /// server refuses it if it is neither).
    pub fn of(bytes: &[u8]) -> Self {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            BlobType::Png
        } else {
            BlobType::Jpeg
        }
    }

    /// The `Content-Type` of the upload.
    pub fn content_type(self) -> &'static str {
        match self {
            BlobType::Jpeg => "image/jpeg",
            BlobType::Png => "image/png",
        }
    }
}

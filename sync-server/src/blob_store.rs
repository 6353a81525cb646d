//! Where evidence blobs live: a local folder (one machine, the default) or an S3-compatible
//! bucket (several server replicas), chosen by `[blobs]` in the configuration.
//!
//! Both are object_store stores, so the rest of the server (`crate::blobs`, `crate::staging`,
//! thumbnails, downloads) never asks which one it has. What differs is when a put is durable:
//! a file must be synced before the blob is recorded ([`Durability::LocalFiles`]), while an S3
//! store acknowledges a put only once it holds it ([`Durability::AcknowledgedByStore`]).
//!
//! S3 requests use path-style addresses (`<endpoint>/<bucket>/<key>`), which AWS, Garage, MinIO
//! and Ceph all accept and which need no wildcard DNS. Credentials are always given: without
//! them object_store would ask the cloud instance-metadata address, which outside AWS hangs
//! until it times out.

use std::sync::Arc;

use anyhow::Context;
use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;

use serde::{Deserialize, Serialize};

use crate::durable::Durability;

/// An S3 location parsed from `s3://<bucket>[/<prefix>]`.
#[derive(Debug, PartialEq, Eq)]
struct S3Location {
    bucket: String,
    prefix: Option<String>,
}

fn parse_s3_url(url: &str) -> anyhow::Result<S3Location> {
    let rest = url.strip_prefix("s3://").with_context(|| {
        format!("blobs.url `{url}` is not an S3 address like s3://plumbline-photos")
    })?;
    let (bucket, prefix) = match rest.split_once('/') {
        Some((bucket, prefix)) => (bucket, prefix.trim_matches('/')),
        None => (rest, ""),
    };
    // S3's bucket naming rules: 3-63 lower-case letters, digits, dots and hyphens.
    anyhow::ensure!(
        (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-'),
        "blobs.url `{url}`: the bucket name must be 3 to 63 lower-case letters, digits, dots or \
         hyphens"
    );
    Ok(S3Location {
        bucket: bucket.to_owned(),
        prefix: (!prefix.is_empty()).then(|| prefix.to_owned()),
    })
}

/// Blob storage settings, the `[blobs]` section of the configuration: a local folder, or an
/// S3-compatible bucket when `url` is set. `Debug` redacts the secret key.
#[derive(Clone, Serialize, Deserialize)]
pub struct BlobConfig {
    /// A folder for blobs; empty means `<data_dir>/blobs`.
    pub dir: String,
    /// `s3://<bucket>[/<prefix>]`; empty means the folder.
    #[serde(default)]
    pub url: String,
    /// The S3 endpoint (`http://…` or `https://…`); empty means AWS.
    #[serde(default)]
    pub endpoint: String,
    /// The region requests are signed for.
    #[serde(default)]
    pub region: String,
    /// The access key id.
    #[serde(default)]
    pub access_key_id: String,
    /// The secret access key.
    #[serde(default)]
    pub secret_access_key: String,
}

impl std::fmt::Debug for BlobConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secret = if self.secret_access_key.is_empty() {
            ""
        } else {
            "***"
        };
        f.debug_struct("BlobConfig")
            .field("dir", &self.dir)
            .field("url", &self.url)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &secret)
            .finish()
    }
}

/// Checks `[blobs]` at startup, so that a mistake is reported with its key, not at the first
/// photo.
pub fn check(config: &BlobConfig) -> anyhow::Result<()> {
    if config.url.is_empty() {
        return Ok(());
    }
    parse_s3_url(&config.url)?;
    anyhow::ensure!(
        !config.access_key_id.is_empty() && !config.secret_access_key.is_empty(),
        "blobs.url is set, so blobs.access_key_id and blobs.secret_access_key must be too \
         (PLUMBLINE_BLOBS__ACCESS_KEY_ID and PLUMBLINE_BLOBS__SECRET_ACCESS_KEY)"
    );
    anyhow::ensure!(
        config.endpoint.is_empty()
            || config.endpoint.starts_with("http://")
            || config.endpoint.starts_with("https://"),
        "blobs.endpoint `{}` is not an address like https://s3.example.com",
        config.endpoint
    );
    anyhow::ensure!(
        !config.region.is_empty(),
        "blobs.region must name the region the store signs for (us-east-1 when in doubt)"
    );
    Ok(())
}

/// Opens the configured store and says how its puts become durable. An S3 store is asked
/// for one object's metadata first, so that a wrong address or key stops the server at
/// startup with the store's own message.
pub async fn open(config: &BlobConfig) -> anyhow::Result<(Arc<dyn ObjectStore>, Durability)> {
    if config.url.is_empty() {
        std::fs::create_dir_all(&config.dir)
            .with_context(|| format!("creating the blob folder {}", config.dir))?;
        // Empty folders left by deleted staged parts are removed with them.
        let folder = LocalFileSystem::new_with_prefix(&config.dir)
            .with_context(|| format!("opening the blob folder {}", config.dir))?
            .with_automatic_cleanup(true);
        return Ok((
            Arc::new(folder),
            Durability::LocalFiles(config.dir.clone().into()),
        ));
    }
    check(config)?;
    let location = parse_s3_url(&config.url)?;
    let mut builder = AmazonS3Builder::new()
        .with_bucket_name(&location.bucket)
        .with_region(&config.region)
        .with_access_key_id(&config.access_key_id)
        .with_secret_access_key(&config.secret_access_key)
        .with_virtual_hosted_style_request(false);
    if !config.endpoint.is_empty() {
        builder = builder
            .with_endpoint(&config.endpoint)
            .with_allow_http(config.endpoint.starts_with("http://"));
    }
    let s3 = builder
        .build()
        .with_context(|| format!("configuring the S3 blob store {}", config.url))?;
    let store: Arc<dyn ObjectStore> = match location.prefix {
        Some(prefix) => Arc::new(PrefixStore::new(s3, prefix.as_str())),
        None => Arc::new(s3),
    };
    match store.head(&Path::from("plumbline-startup-check")).await {
        Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!(
                "the S3 blob store {} (endpoint {}) did not answer as expected; check \
                 blobs.endpoint, blobs.region and the keys",
                config.url,
                if config.endpoint.is_empty() {
                    "AWS"
                } else {
                    &config.endpoint
                }
            )));
        }
    }
    Ok((store, Durability::AcknowledgedByStore))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> BlobConfig {
        BlobConfig {
            dir: String::new(),
            url: url.into(),
            endpoint: "http://127.0.0.1:3900".into(),
            region: "garage".into(),
            access_key_id: "GK0123".into(),
            secret_access_key: "secret".into(),
        }
    }

    #[test]
    fn s3_addresses_are_parsed_and_mistakes_named() {
        assert_eq!(
            parse_s3_url("s3://plumbline-photos").unwrap(),
            S3Location {
                bucket: "plumbline-photos".into(),
                prefix: None
            }
        );
        assert_eq!(
            parse_s3_url("s3://photos/shanghai/").unwrap().prefix,
            Some("shanghai".into())
        );
        for bad in [
            "http://photos",
            "s3://",
            "s3://Photos",
            "s3://a",
            "s3://ph_otos",
        ] {
            assert!(parse_s3_url(bad).is_err(), "{bad}");
        }
        check(&config("s3://photos")).unwrap();
        let mut keyless = config("s3://photos");
        keyless.secret_access_key.clear();
        let e = check(&keyless).unwrap_err().to_string();
        assert!(e.contains("secret_access_key"), "{e}");
        let mut endpoint = config("s3://photos");
        endpoint.endpoint = "127.0.0.1:3900".into();
        assert!(check(&endpoint).is_err());
        assert!(
            !format!("{:?}", config("s3://photos")).contains("secret\""),
            "the secret is redacted"
        );
    }
}

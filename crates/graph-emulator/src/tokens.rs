//! Signing of self-contained tokens (access/id tokens shaped like JWTs, refresh tokens, delta and
//! skip tokens). The key is derived from the tenant seed so tokens survive an emulator restart.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA256 signer keyed from the seed.
#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

impl Signer {
    pub fn new(seed: u64) -> Self {
        let mut h = Sha256::new();
        h.update(b"graph-emulator signing key v1");
        h.update(seed.to_le_bytes());
        Signer {
            key: h.finalize().to_vec(),
        }
    }

    fn mac(&self, data: &[u8]) -> Vec<u8> {
        let mut m = HmacSha256::new_from_slice(&self.key).expect("hmac accepts any key");
        m.update(data);
        m.finalize().into_bytes().to_vec()
    }

    /// A JWT (`header.payload.signature`, HS256).
    pub fn jwt(&self, claims: &Value) -> String {
        let header = serde_json::json!({"typ": "JWT", "alg": "HS256", "kid": "graph-emulator"});
        let signing_input = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        );
        let sig = self.mac(signing_input.as_bytes());
        format!("{signing_input}.{}", B64.encode(sig))
    }

    /// Verifies a JWT produced by [`Signer::jwt`] and returns its claims.
    pub fn verify_jwt(&self, token: &str) -> Option<Value> {
        let mut parts = token.split('.');
        let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let sig = B64.decode(s).ok()?;
        let expected = self.mac(format!("{h}.{p}").as_bytes());
        if !constant_eq(&sig, &expected) {
            return None;
        }
        serde_json::from_slice(&B64.decode(p).ok()?).ok()
    }

    /// An opaque, URL-safe, signed token carrying `value`.
    pub fn seal<T: Serialize>(&self, kind: &str, value: &T) -> String {
        let body = B64.encode(serde_json::to_vec(value).expect("serializable"));
        let sig = self.mac(format!("{kind}.{body}").as_bytes());
        format!("{body}.{}", B64.encode(&sig[..18]))
    }

    /// Opens a token made by [`Signer::seal`] with the same `kind`.
    pub fn open<T: DeserializeOwned>(&self, kind: &str, token: &str) -> Option<T> {
        let (body, sig) = token.split_once('.')?;
        let sig = B64.decode(sig).ok()?;
        let expected = self.mac(format!("{kind}.{body}").as_bytes());
        if !constant_eq(&sig, &expected[..18]) {
            return None;
        }
        serde_json::from_slice(&B64.decode(body).ok()?).ok()
    }
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// PKCE S256 transform of a verifier.
pub fn pkce_s256(verifier: &str) -> String {
    B64.encode(Sha256::digest(verifier.as_bytes()))
}

/// Decodes the payload of a JWT without verifying it (for tests and diagnostics).
pub fn decode_jwt_payload(token: &str) -> Option<Value> {
    let p = token.split('.').nth(1)?;
    serde_json::from_slice(&B64.decode(p).ok()?).ok()
}

/// A random URL-safe string of `bytes` random bytes.
pub fn random_token(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    B64.encode(buf)
}

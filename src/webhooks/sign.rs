//! The signature of a delivery: `X-Baas-Signature: sha256=HEX`, an
//! HMAC-SHA256 with the webhook's secret over `TIMESTAMP.BODY`, where
//! TIMESTAMP is the `X-Baas-Timestamp` header (Unix seconds). A receiver
//! recomputes it over the raw body, compares in constant time, and refuses
//! a timestamp too far from its clock (a replayed request).

use hmac::{KeyInit as _, Mac as _};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "x-baas-signature";
/// The header carrying the signed timestamp.
pub const TIMESTAMP_HEADER: &str = "x-baas-timestamp";
/// The header carrying the event id (the same on every attempt).
pub const EVENT_ID_HEADER: &str = "x-baas-event-id";
/// The header carrying `entity.action`.
pub const EVENT_HEADER: &str = "x-baas-event";
/// The tenant whose write it was (with `[tenancy]`): the payload's
/// `tenant`, which the signature covers.
pub const TENANT_HEADER: &str = "x-baas-tenant";

/// `sha256=` and the hex HMAC-SHA256 of `timestamp.body` under `secret`.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    // An HMAC accepts a key of any length.
    let mut mac = match HmacSha256::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let mut out = String::with_capacity(7 + digest.len() * 2);
    out.push_str("sha256=");
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// Whether `header` is the signature of `timestamp.body` under `secret`
/// (compared in constant time).
pub fn verify(secret: &[u8], timestamp: i64, body: &[u8], header: &str) -> bool {
    let Some(hex) = header.strip_prefix("sha256=") else {
        return false;
    };
    let Some(expected) = decode_hex(hex) else {
        return false;
    };
    let Ok(mut mac) = HmacSha256::new_from_slice(secret) else {
        return false;
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(hex.get(at..at + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 test case 2 ("Jefe"), over `0.` + the message's tail: the
    /// signature is a plain HMAC-SHA256 of `timestamp.body`.
    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        let mut mac = HmacSha256::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        let rfc: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            rfc,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let signed = signature(b"s3cret", 1_700_000_000, b"{\"a\":1}");
        assert!(signed.starts_with("sha256=") && signed.len() == 7 + 64);
        assert!(verify(b"s3cret", 1_700_000_000, b"{\"a\":1}", &signed));
        assert!(!verify(b"s3cret", 1_700_000_001, b"{\"a\":1}", &signed));
        assert!(!verify(b"other", 1_700_000_000, b"{\"a\":1}", &signed));
        assert!(!verify(b"s3cret", 1_700_000_000, b"{\"a\":2}", &signed));
        assert!(!verify(b"s3cret", 1_700_000_000, b"{\"a\":1}", "sha256=zz"));
    }
}

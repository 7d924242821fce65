//! DICOM unique identifiers (UIDs) for the objects airad writes.
//!
//! A UID is a dotted string of decimal components, at most 64 characters
//! (PS3.5 §9). airad derives them from 128-bit UUIDs under the `2.25` root
//! (ISO/IEC 9834-8, PS3.5 §B.2): `2.25.<UUID as one decimal integer>`, at
//! most 44 characters. A UUID comes either from the operating system's
//! random source (version 4) or, for reproducible output, from a SHA-1 hash
//! of a seed and a name (version 5), so that the same seed and name always
//! give the same UID.
//!
//! An organisation root other than `2.25` may be given; the 128-bit value is
//! then reduced to the digits that fit in 64 characters.

use uuid::Uuid;

/// The root for UUID-derived UIDs (ISO/IEC 9834-8).
pub const UUID_ROOT: &str = "2.25";

/// Longest UID allowed by DICOM.
pub const MAX_UID_LEN: usize = 64;

/// Longest accepted root: leaves at least 23 decimal digits (about 76 bits)
/// for the generated part.
pub const MAX_ROOT_LEN: usize = 40;

/// Implementation Class UID (0002,0012) of files written by airad: the
/// version-5 UID of seed `"airad"` and name `"implementation-class"`.
pub const IMPLEMENTATION_CLASS_UID: &str = "2.25.99312736367872799530041391001476871559";

/// Implementation Version Name (0002,0013) of files written by airad
/// (16 characters at most).
pub const IMPLEMENTATION_VERSION_NAME: &str = concat!("AIRAD_", env!("CARGO_PKG_VERSION"));

/// The namespace of airad's name-based (version 5) UUIDs.
fn namespace() -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_OID, b"airad")
}

/// True when `uid` is a valid DICOM UID: 1 to 64 characters, components of
/// decimal digits separated by single dots, no component with a leading
/// zero (except `0` itself).
pub fn is_valid_uid(uid: &str) -> bool {
    !uid.is_empty()
        && uid.len() <= MAX_UID_LEN
        && uid.split('.').all(|c| {
            !c.is_empty()
                && c.bytes().all(|b| b.is_ascii_digit())
                && (c == "0" || !c.starts_with('0'))
        })
}

/// True when `root` can prefix generated UIDs: a valid UID of at most
/// [`MAX_ROOT_LEN`] characters.
pub fn is_valid_root(root: &str) -> bool {
    root.len() <= MAX_ROOT_LEN && is_valid_uid(root)
}

/// `root.<value>`, with `value` written in decimal and reduced modulo a
/// power of ten when the whole would exceed 64 characters. `None` when the
/// root is not valid ([`is_valid_root`]).
pub fn uid_from_u128(root: &str, value: u128) -> Option<String> {
    if !is_valid_root(root) {
        return None;
    }
    let room = MAX_UID_LEN - root.len() - 1;
    let value = if room >= 39 {
        value
    } else {
        // room >= 23 here, so the power of ten fits in a u128.
        value % 10u128.pow(room as u32)
    };
    Some(format!("{root}.{value}"))
}

/// A new UID under `root` from a random (version 4) UUID. `None` when the
/// root is not valid.
pub fn random_uid(root: &str) -> Option<String> {
    uid_from_u128(root, Uuid::new_v4().as_u128())
}

/// A reproducible UID under `root`: the same `seed` and `name` always give
/// the same UID, different ones give different UIDs (a version-5 UUID of
/// both). `None` when the root is not valid.
pub fn seeded_uid(root: &str, seed: &str, name: &str) -> Option<String> {
    let mut key = Vec::with_capacity(seed.len() + name.len() + 1);
    key.extend_from_slice(seed.as_bytes());
    key.push(0);
    key.extend_from_slice(name.as_bytes());
    uid_from_u128(root, Uuid::new_v5(&namespace(), &key).as_u128())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity() {
        assert!(is_valid_uid("1.2.840.10008.5.1.4.1.1.2"));
        assert!(is_valid_uid("2.25.0"));
        assert!(!is_valid_uid(""));
        assert!(!is_valid_uid("1..2"));
        assert!(!is_valid_uid("1.02"));
        assert!(!is_valid_uid("1.2."));
        assert!(!is_valid_uid("1.a"));
        assert!(!is_valid_uid(&"1.".repeat(40)));
    }

    #[test]
    fn generated_uids_are_valid_and_short() {
        let u = random_uid(UUID_ROOT).unwrap();
        assert!(is_valid_uid(&u) && u.len() <= 44, "{u}");
        assert_ne!(u, random_uid(UUID_ROOT).unwrap());
        let max = uid_from_u128(UUID_ROOT, u128::MAX).unwrap();
        assert_eq!(max.len(), 44);
        let long_root = "1.2.826.0.1.3680043.10.9999.12345.6789";
        let v = uid_from_u128(long_root, u128::MAX).unwrap();
        assert!(is_valid_uid(&v) && v.len() <= 64, "{v}");
        // A value whose reduction starts with zeros must stay valid.
        let w = uid_from_u128(long_root, 10u128.pow(30)).unwrap();
        assert!(is_valid_uid(&w), "{w}");
        assert!(uid_from_u128("1.02", 5).is_none());
        assert!(uid_from_u128(&"1.2".repeat(20), 5).is_none());
    }

    #[test]
    fn seeded_uids_are_reproducible() {
        let a = seeded_uid(UUID_ROOT, "case-1", "series").unwrap();
        assert_eq!(a, seeded_uid(UUID_ROOT, "case-1", "series").unwrap());
        assert_ne!(a, seeded_uid(UUID_ROOT, "case-1", "study").unwrap());
        assert_ne!(a, seeded_uid(UUID_ROOT, "case-2", "series").unwrap());
        assert_ne!(
            seeded_uid(UUID_ROOT, "a", "bc").unwrap(),
            seeded_uid(UUID_ROOT, "ab", "c").unwrap()
        );
        assert_eq!(
            seeded_uid(UUID_ROOT, "airad", "implementation-class").unwrap(),
            IMPLEMENTATION_CLASS_UID
        );
        assert!(IMPLEMENTATION_VERSION_NAME.len() <= 16);
    }
}

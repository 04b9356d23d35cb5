//! Personal data at rest, crypto-shredded: a passenger's name and e-mail
//! are stored sealed with a key of her own, kept outside the log. Erasing
//! her destroys the key; her sealed bytes stay in the append-only store,
//! hashed as they were, and can never be read again.
//!
//! The cipher is the ChaCha20 keystream XORed over the plaintext, behind a
//! block of zero bytes that a wrong key turns into noise. It is a model of
//! the mechanism for a simulator, not a vetted AEAD: it must not be used
//! to protect real data. Nothing here knows which keys exist; the key
//! store (in the engine) does.

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use serde::{Deserialize, Serialize};

use super::event::Passenger;

/// One customer's key (one epoch of it: a customer who comes back after an
/// erasure gets a new key). Not `Serialize`, and its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct Key(pub [u8; 32]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(…)")
    }
}

/// Zero bytes sealed in front of the plaintext: opened with another key
/// they come out as noise, so a wrong key reads as "cannot open".
const CHECK_BYTES: usize = 8;

/// A passenger as the store, the bus, the views and the sagas hold her:
/// which key of her customer sealed it (`epoch`), the nonce that made the
/// keystream unique under that key, and the ciphertext.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedPassenger {
    pub epoch: u32,
    pub nonce: u64,
    #[serde(with = "hex_bytes")]
    pub ciphertext: Box<[u8]>,
}

impl std::fmt::Debug for SealedPassenger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealedPassenger(key epoch {}, {} bytes)", self.epoch, self.ciphertext.len())
    }
}

impl Passenger {
    /// Sealed with `key` (her key of `epoch`). `nonce` must differ for
    /// every plaintext sealed under one key.
    pub fn seal(&self, key: &Key, epoch: u32, nonce: u64) -> SealedPassenger {
        let mut bytes = vec![0u8; CHECK_BYTES];
        bytes.extend_from_slice(&(self.name.len() as u32).to_le_bytes());
        bytes.extend_from_slice(self.name.as_bytes());
        bytes.extend_from_slice(self.email.as_bytes());
        keystream_xor(key, nonce, &mut bytes);
        SealedPassenger { epoch, nonce, ciphertext: bytes.into_boxed_slice() }
    }
}

impl SealedPassenger {
    /// The passenger, when `key` is the one that sealed her.
    pub fn open(&self, key: &Key) -> Option<Passenger> {
        let mut bytes = self.ciphertext.to_vec();
        keystream_xor(key, self.nonce, &mut bytes);
        let (check, rest) = bytes.split_at_checked(CHECK_BYTES)?;
        if check.iter().any(|b| *b != 0) {
            return None;
        }
        let (len, rest) = rest.split_at_checked(4)?;
        let name_len = u32::from_le_bytes(len.try_into().ok()?) as usize;
        let (name, email) = rest.split_at_checked(name_len)?;
        let text = |b: &[u8]| std::str::from_utf8(b).ok().map(Into::into);
        Some(Passenger { name: text(name)?, email: text(email)? })
    }
}

fn keystream_xor(key: &Key, nonce: u64, bytes: &mut [u8]) {
    let mut rng = ChaCha20Rng::from_seed(key.0);
    rng.set_stream(nonce);
    let mut stream = vec![0u8; bytes.len()];
    rng.fill_bytes(&mut stream);
    bytes.iter_mut().zip(stream).for_each(|(b, k)| *b ^= k);
}

/// Bytes as one lowercase hex string (the JSON export and the views' hash).
mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::super::hex(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Box<[u8]>, D::Error> {
        let text = String::deserialize(d)?;
        if text.len() % 2 != 0 {
            return Err(D::Error::custom("hex of odd length"));
        }
        (0..text.len())
            .step_by(2)
            .map(|i| {
                u8::from_str_radix(&text[i..i + 2], 16).map_err(|_| D::Error::custom(format!("not hex: {text:?}")))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ana() -> Passenger {
        Passenger { name: "Ana García".into(), email: "ana.garcia@example.com".into() }
    }

    #[test]
    fn given_her_key_when_opened_then_she_comes_back() {
        let key = Key([7; 32]);
        let sealed = ana().seal(&key, 0, 42);
        assert_eq!(sealed.open(&key), Some(ana()));
    }

    #[test]
    fn given_sealed_then_no_plaintext_is_in_its_bytes_or_its_json() {
        let sealed = ana().seal(&Key([7; 32]), 0, 42);
        let json = serde_json::to_string(&sealed).unwrap();
        let bytes = String::from_utf8_lossy(&sealed.ciphertext).into_owned();
        for text in [json, bytes, format!("{sealed:?}")] {
            assert!(!text.contains("Ana") && !text.contains("ana.garcia"), "{text}");
        }
        let back: SealedPassenger = serde_json::from_str(&serde_json::to_string(&sealed).unwrap()).unwrap();
        assert_eq!(back, sealed, "the JSON round-trips");
    }

    #[test]
    fn given_another_key_or_nonce_then_it_does_not_open() {
        let sealed = ana().seal(&Key([7; 32]), 0, 42);
        assert_eq!(sealed.open(&Key([8; 32])), None);
        let moved = SealedPassenger { nonce: 43, ..sealed.clone() };
        assert_eq!(moved.open(&Key([7; 32])), None);
        let other = ana().seal(&Key([7; 32]), 0, 43);
        assert_ne!(other.ciphertext, sealed.ciphertext, "a new nonce, a new keystream");
    }
}

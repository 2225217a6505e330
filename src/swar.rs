//! Eight bytes at a time in one `u64` ("SWAR", safe code), for the scans that skip long runs of
//! ordinary bytes: the nginx lexer's words and indentation, and the JSON writer's clean text.
//!
//! Both tests flag a byte by setting its high bit. Only the lowest flagged byte is exact (a borrow can
//! flag bytes above it), so callers ask "is any byte flagged" or "where is the first one", never more.

pub const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// `b[i..i + 8]` as a little-endian word (byte `i` lowest), if that many bytes are left.
#[inline]
pub fn load8(b: &[u8], i: usize) -> Option<u64> {
    b.get(i..i + 8)
        .map(|w| u64::from_le_bytes(w.try_into().expect("8 bytes")))
}

/// The bytes of `x` below `n` (`n` at most 0x80): "Bit Twiddling Hacks", a byte's high bit is set in
/// `x - n…` and clear in `x` exactly when it was below `n`.
#[inline]
pub fn below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH
}

/// The bytes of `x` equal to `c`.
#[inline]
pub fn equal(x: u64, c: u8) -> u64 {
    below(x ^ (ONES * u64::from(c)), 1)
}

/// The index (0–7) of the lowest flagged byte of a non-zero mask.
#[inline]
pub fn first(mask: u64) -> usize {
    mask.trailing_zeros() as usize / 8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_flag_is_exact_for_every_byte_and_position() {
        for pos in 0..8 {
            for byte in 0..=255u8 {
                let mut bytes = [b'a'; 8];
                bytes[pos] = byte;
                let x = u64::from_le_bytes(bytes);
                let eq = equal(x, byte);
                assert_eq!(first(eq), if byte == b'a' { 0 } else { pos });
                let lt = below(x, 0x21);
                if byte < 0x21 {
                    assert_eq!(first(lt), pos, "{byte:#x} at {pos}");
                } else {
                    assert_eq!(lt, 0, "{byte:#x} at {pos}");
                }
            }
        }
    }
}

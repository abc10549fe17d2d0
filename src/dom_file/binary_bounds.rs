//! What the binary decoder is about to allocate, checked against the file
//! first: its header and chunk headers give counts and lengths that it
//! reserves memory for before reading what they describe, so a corrupt
//! count (a few flipped bits) would ask for tens of gigabytes and end the
//! process. Each count must fit in what the file can hold.
//!
//! The layout (facts of the format): a 32-byte header (`<roblox!`, a 6-byte
//! signature, a u16 version, u32 class count, u32 instance count, 8
//! reserved bytes), then chunks, each a 4-byte name, u32 compressed
//! length (0: stored as is), u32 length, 4 reserved bytes and the data,
//! up to an `END\0` chunk. Little-endian throughout.

const HEADER_LEN: usize = 32;
const CHUNK_HEADER_LEN: usize = 16;
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
/// LZ4 cannot expand data by more than this much.
const LZ4_MAX_RATIO: u64 = 255;
/// A zstd chunk may expand far more (terrain); this bounds one chunk.
const ZSTD_MAX_LEN: u64 = 1 << 30;
/// The smallest INST chunk a class takes (id, name length, format, count).
const MIN_CLASS_BYTES: u64 = 13;
/// Every instance has a 4-byte referent in its class's INST chunk.
const MIN_INSTANCE_BYTES: u64 = 4;

/// `Err` says what in the file cannot be right. Files too short to have a
/// header are left to the decoder, which says so itself.
pub fn check(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() < HEADER_LEN {
        return Ok(());
    }
    let u32_at = |at: usize| {
        u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as u64
    };
    let classes = u32_at(16);
    let instances = u32_at(20);
    let mut offset = HEADER_LEN;
    let mut decoded: u64 = 0;
    while offset + CHUNK_HEADER_LEN <= bytes.len() {
        let name = String::from_utf8_lossy(&bytes[offset..offset + 4])
            .trim_end_matches('\0')
            .to_owned();
        let compressed = u32_at(offset + 4);
        let len = u32_at(offset + 8);
        let data_at = offset + CHUNK_HEADER_LEN;
        let stored = if compressed == 0 { len } else { compressed };
        let end = data_at as u64 + stored;
        if end > bytes.len() as u64 {
            return Err(format!(
                "chunk {name} at byte {offset} says it holds {stored} bytes, but the file ends {} bytes after it starts",
                bytes.len() - data_at
            ));
        }
        if compressed > 0 {
            let is_zstd = bytes[data_at..].starts_with(&ZSTD_MAGIC);
            let bound = if is_zstd {
                ZSTD_MAX_LEN
            } else {
                compressed * LZ4_MAX_RATIO + 64
            };
            if len > bound {
                return Err(format!(
                    "chunk {name} at byte {offset} says {compressed} compressed bytes hold {len}, more than they can"
                ));
            }
        }
        decoded += len.max(stored);
        offset = end as usize;
        if name == "END" {
            break;
        }
    }
    if classes * MIN_CLASS_BYTES > decoded {
        return Err(format!(
            "the header counts {classes} classes, more than the file's {decoded} bytes of chunks can describe"
        ));
    }
    if instances * MIN_INSTANCE_BYTES > decoded {
        return Err(format!(
            "the header counts {instances} instances, more than the file's {decoded} bytes of chunks can describe"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(classes: u32, instances: u32) -> Vec<u8> {
        let mut bytes = b"<roblox!\x89\xff\r\n\x1a\n\0\0".to_vec();
        bytes.extend(classes.to_le_bytes());
        bytes.extend(instances.to_le_bytes());
        bytes.extend([0; 8]);
        bytes
    }

    fn chunk(name: &[u8; 4], compressed: u32, data: &[u8], len: u32) -> Vec<u8> {
        let mut bytes = name.to_vec();
        bytes.extend(compressed.to_le_bytes());
        bytes.extend(len.to_le_bytes());
        bytes.extend([0; 4]);
        bytes.extend(data);
        bytes
    }

    #[test]
    fn a_class_count_the_chunks_cannot_hold_is_refused() {
        // The fuzzer's first find: `../` over the class count asked for 44 GB.
        let mut bytes = header(0x2e2e_0001, 1);
        bytes.extend(chunk(b"INST", 0, &[0; 20], 20));
        bytes.extend(chunk(b"END\0", 0, b"</roblox>", 9));
        let err = check(&bytes).unwrap_err();
        assert!(err.contains("774766593 classes"), "{err}");
    }

    #[test]
    fn a_chunk_past_the_end_or_expanding_beyond_lz4_is_refused() {
        let mut bytes = header(1, 1);
        bytes.extend(chunk(b"INST", 0, &[0; 4], 4000));
        assert!(check(&bytes).unwrap_err().contains("the file ends"));
        let mut bytes = header(1, 1);
        bytes.extend(chunk(b"PROP", 10, &[0; 10], 4_000_000));
        assert!(check(&bytes).unwrap_err().contains("more than they can"));
    }

    #[test]
    fn counts_the_chunks_can_hold_pass() {
        let mut bytes = header(1, 2);
        bytes.extend(chunk(b"INST", 0, &[0; 21], 21));
        bytes.extend(chunk(b"END\0", 0, b"</roblox>", 9));
        assert_eq!(check(&bytes), Ok(()));
    }
}

//! [`Slots`]: the one-byte csid → stream index table of the chunk decoder.

/// For the one-byte csids (0..64): a byte per csid, 0 for "not open", packed eight to a
/// word.
///
/// A plain `[u8; 64]` is what this stores, but LLVM splits a byte array in a struct into
/// 64 one-byte values, and every move of the session around it (out of a constructor,
/// into a task) then became 64 byte loads and stores. Words move as words.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Slots([u64; 8]);

impl Slots {
    /// The byte stored for `csid`; `None` past 63.
    pub(crate) fn get(&self, csid: usize) -> Option<u8> {
        let word = self.0.get(csid / 8)?;
        Some((word >> ((csid % 8) * 8)) as u8)
    }

    /// Stores `value` for `csid`; ignored past 63.
    pub(crate) fn set(&mut self, csid: usize, value: u8) {
        if let Some(word) = self.0.get_mut(csid / 8) {
            let shift = (csid % 8) * 8;
            *word = (*word & !(0xFF << shift)) | (u64::from(value) << shift);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_csid_keeps_its_own_byte() {
        let mut s = Slots::default();
        for csid in 0..64 {
            s.set(csid, (csid as u8).wrapping_mul(37).wrapping_add(1));
        }
        s.set(9, 0xFF);
        s.set(64, 5); // ignored
        for csid in 0..64 {
            let want = if csid == 9 {
                0xFF
            } else {
                (csid as u8).wrapping_mul(37).wrapping_add(1)
            };
            assert_eq!(s.get(csid), Some(want), "csid {csid}");
        }
        assert_eq!(s.get(64), None);
    }
}

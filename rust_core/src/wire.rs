//! A minimal protobuf (proto3) wire-format writer: just what the lookup
//! response needs (varints, strings, booleans, nested messages).
//!
//! Proto3 rules kept here, so that the bytes parse to the same message the
//! Python protobuf runtime builds: scalar fields at their default value (0,
//! "", false) are not written; a nested message is written whenever it is
//! present, even when empty; every element of a repeated field is written.

/// Wire types used below.
const VARINT: u32 = 0;
const LEN: u32 = 2;

/// A growable buffer holding one message's encoded fields.
#[derive(Debug, Default, Clone)]
pub struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    fn varint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.buf.push((value as u8) | 0x80);
            value >>= 7;
        }
        self.buf.push(value as u8);
    }

    fn tag(&mut self, field: u32, wire_type: u32) {
        self.varint(u64::from((field << 3) | wire_type));
    }

    /// An `int32`/`int64`/enum field; skipped when 0. Negative values are
    /// written sign-extended to 64 bits, as protobuf does for int32 and enums.
    pub fn int(&mut self, field: u32, value: i64) {
        if value != 0 {
            self.tag(field, VARINT);
            self.varint(value as u64);
        }
    }

    /// A `bool` field; skipped when false.
    pub fn boolean(&mut self, field: u32, value: bool) {
        if value {
            self.tag(field, VARINT);
            self.varint(1);
        }
    }

    /// A singular `string` field; skipped when empty.
    pub fn string(&mut self, field: u32, value: &str) {
        if !value.is_empty() {
            self.bytes_field(field, value.as_bytes());
        }
    }

    /// One element of a `repeated string` field (written even when empty).
    pub fn repeated_string(&mut self, field: u32, value: &str) {
        self.bytes_field(field, value.as_bytes());
    }

    /// A present nested message (written even when it has no fields).
    pub fn message(&mut self, field: u32, nested: &Writer) {
        self.bytes_field(field, nested.as_bytes());
    }

    fn bytes_field(&mut self, field: u32, data: &[u8]) {
        self.tag(field, LEN);
        self.varint(data.len() as u64);
        self.buf.extend_from_slice(data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_and_defaults() {
        let mut w = Writer::new();
        w.int(1, 0);
        w.string(2, "");
        w.boolean(3, false);
        assert!(w.as_bytes().is_empty());
        w.int(1, 150);
        assert_eq!(w.as_bytes(), &[0x08, 0x96, 0x01]);
    }

    #[test]
    fn negative_int_is_ten_bytes() {
        let mut w = Writer::new();
        w.int(1, -1);
        assert_eq!(w.as_bytes().len(), 11);
        assert_eq!(w.as_bytes()[10], 0x01);
    }

    #[test]
    fn strings_and_nested() {
        let mut inner = Writer::new();
        inner.string(1, "ab");
        let mut outer = Writer::new();
        outer.message(3, &inner);
        outer.message(4, &Writer::new());
        outer.repeated_string(5, "");
        assert_eq!(
            outer.as_bytes(),
            &[0x1a, 0x04, 0x0a, 0x02, b'a', b'b', 0x22, 0x00, 0x2a, 0x00]
        );
    }
}

//! The msgpack form of `DynamicValue`: how Terraform sends values to the
//! provider and how the provider answers.
//!
//! msgpack does not say whether an array is a list, a set or a tuple, so both
//! directions are driven by the schema [`Type`]. Any msgpack extension is an
//! unknown value; `dynamic` values travel as `[type JSON, value]`. Decoding
//! never panics, whatever the bytes.

use std::collections::BTreeMap;
use std::convert::Infallible;

use rmp::encode::{ByteBuf, ValueWriteError};
use rmp::Marker;

use super::types::{ValuePath, ValuePathStep};
use super::{Number, Type, TypeJsonError, Value};

/// Deepest nesting [`decode`] accepts (guards the stack against hostile input).
pub const MAX_DEPTH: usize = 256;

/// The plain unknown value: fixext1, extension type 0, payload 0.
const UNKNOWN: [u8; 3] = [0xd4, 0x00, 0x00];

/// A value that could not be decoded, and where.
#[derive(Debug, thiserror::Error)]
#[error("at {path}: {kind}")]
pub struct DecodeError {
    /// Where in the value the problem is.
    pub path: ValuePath,
    /// What the problem is.
    pub kind: DecodeErrorKind,
}

/// What went wrong while decoding.
#[derive(Debug, thiserror::Error)]
pub enum DecodeErrorKind {
    /// The wire value is not of the schema type.
    #[error("expected {expected}, found {found}")]
    TypeMismatch { expected: String, found: String },
    /// The bytes end in the middle of a value.
    #[error("input ends in the middle of a value")]
    Truncated,
    /// Bytes follow the complete value.
    #[error("{0} unexpected byte(s) after the value")]
    TrailingBytes(usize),
    /// An object on the wire has an attribute the type does not declare.
    #[error("attribute {0:?} is not in the object type")]
    UnknownAttribute(String),
    /// A map or object names the same key twice.
    #[error("key {0:?} appears twice")]
    DuplicateKey(String),
    /// A tuple with the wrong number of elements.
    #[error("expected a tuple of {expected} elements, found {found}")]
    TupleLength { expected: usize, found: usize },
    /// A string that is not UTF-8.
    #[error("string is not valid UTF-8")]
    InvalidUtf8,
    /// A number string that is not a decimal number, or a NaN float.
    #[error("{0:?} is not a number")]
    InvalidNumber(String),
    /// The type half of a `dynamic` value is not cty type JSON.
    #[error("dynamic value carries an invalid type: {0}")]
    DynamicType(TypeJsonError),
    /// Nesting deeper than [`MAX_DEPTH`].
    #[error("values nest deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

/// A value that could not be encoded under a type, and where.
#[derive(Debug, thiserror::Error)]
#[error("at {path}: {kind}")]
pub struct EncodeError {
    /// Where in the value the problem is.
    pub path: ValuePath,
    /// What the problem is.
    pub kind: EncodeErrorKind,
}

/// What went wrong while encoding.
#[derive(Debug, thiserror::Error)]
pub enum EncodeErrorKind {
    /// The value is not of the type (e.g. a list where the schema says string).
    #[error("expected {expected}, found {found}")]
    TypeMismatch {
        expected: String,
        found: &'static str,
    },
    /// An object value has an attribute the type does not declare.
    #[error("attribute {0:?} is not in the object type")]
    UnknownAttribute(String),
    /// A tuple with the wrong number of elements.
    #[error("expected a tuple of {expected} elements, found {found}")]
    TupleLength { expected: usize, found: usize },
    /// A NaN float or a decimal string that is not a number.
    #[error("{0:?} is not a number Terraform accepts")]
    InvalidNumber(String),
    /// A string or collection longer than msgpack allows (2³² − 1).
    #[error("{0} too long for msgpack")]
    TooLong(&'static str),
}

/// Decodes msgpack `bytes` as a value of type `ty`. Empty input is null
/// (Terraform sends an empty `DynamicValue` for null); trailing bytes are an error.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, DecodeError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    let mut decoder = Decoder {
        rest: bytes,
        path: ValuePath::root(),
        depth: 0,
    };
    let value = decoder.value(ty)?;
    match decoder.rest.len() {
        0 => Ok(value),
        extra => Err(decoder.error(DecodeErrorKind::TrailingBytes(extra))),
    }
}

/// Encodes `value` as msgpack under type `ty`.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, EncodeError> {
    let mut encoder = Encoder {
        out: ByteBuf::new(),
        path: ValuePath::root(),
    };
    encoder.value(value, ty)?;
    Ok(encoder.out.into_vec())
}

/// True for decimal number text: `[+-]digits[.digits][e[+-]digits]`
/// (digits may be absent on one side of the point, not both).
pub(crate) fn is_decimal_number(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['+', '-']).unwrap_or(e))),
        None => (unsigned, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok =
        digits(whole) && digits(fraction) && !(whole.is_empty() && fraction.is_empty());
    let exponent_ok = exponent.is_none_or(|e| !e.is_empty() && digits(e));
    mantissa_ok && exponent_ok
}

/// A number from msgpack string text: an exact `i64` (or `u64` above it)
/// stays an integer.
pub(crate) fn number_from_text(text: &str) -> Option<Number> {
    if let Ok(int) = text.parse::<i64>() {
        Some(Number::Int(int))
    } else if let Ok(uint) = text.parse::<u64>() {
        Some(Number::UInt(uint))
    } else if is_decimal_number(text) {
        Some(Number::Decimal(text.to_owned()))
    } else {
        None
    }
}

/// What a marker starts, for error messages.
fn marker_name(marker: Marker) -> &'static str {
    use Marker::*;
    match marker {
        Null => "nil",
        True | False => "bool",
        FixPos(_) | FixNeg(_) | U8 | U16 | U32 | U64 | I8 | I16 | I32 | I64 => "integer",
        F32 | F64 => "float",
        FixStr(_) | Str8 | Str16 | Str32 => "string",
        Bin8 | Bin16 | Bin32 => "binary data",
        FixArray(_) | Array16 | Array32 => "array",
        FixMap(_) | Map16 | Map32 => "map",
        FixExt1 | FixExt2 | FixExt4 | FixExt8 | FixExt16 | Ext8 | Ext16 | Ext32 => "extension",
        Reserved => "the reserved byte 0xc1",
    }
}

/// Reads one value at a time from the front of the input.
struct Decoder<'a> {
    rest: &'a [u8],
    path: ValuePath,
    depth: usize,
}

impl<'a> Decoder<'a> {
    fn error(&self, kind: DecodeErrorKind) -> DecodeError {
        DecodeError {
            path: self.path.clone(),
            kind,
        }
    }

    fn mismatch(&self, expected: impl ToString, marker: Marker) -> DecodeError {
        self.error(DecodeErrorKind::TypeMismatch {
            expected: expected.to_string(),
            found: marker_name(marker).to_owned(),
        })
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], DecodeError> {
        if len > self.rest.len() {
            return Err(self.error(DecodeErrorKind::Truncated));
        }
        let (taken, rest) = self.rest.split_at(len);
        self.rest = rest;
        Ok(taken)
    }

    fn take_array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let bytes = self.take(N)?;
        let mut array = [0; N];
        array.copy_from_slice(bytes);
        Ok(array)
    }

    fn marker(&mut self) -> Result<Marker, DecodeError> {
        let [byte] = self.take_array()?;
        Ok(Marker::from_u8(byte))
    }

    fn len8(&mut self) -> Result<usize, DecodeError> {
        Ok(usize::from(self.take_array::<1>()?[0]))
    }

    fn len16(&mut self) -> Result<usize, DecodeError> {
        Ok(usize::from(u16::from_be_bytes(self.take_array()?)))
    }

    fn len32(&mut self) -> Result<usize, DecodeError> {
        let len = u32::from_be_bytes(self.take_array()?);
        // A length beyond the address space cannot fit in the input anyway.
        Ok(usize::try_from(len).unwrap_or(usize::MAX))
    }

    /// Runs `step` one level deeper, refusing to go past [`MAX_DEPTH`].
    fn nested<T>(
        &mut self,
        step: impl FnOnce(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.error(DecodeErrorKind::TooDeep));
        }
        self.depth += 1;
        let result = step(self);
        self.depth -= 1;
        result
    }

    /// Runs `step` with `path_step` appended to the path.
    fn at<T>(
        &mut self,
        path_step: ValuePathStep,
        step: impl FnOnce(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<T, DecodeError> {
        self.path.push(path_step);
        let result = step(self);
        self.path.pop();
        result
    }

    /// One complete value of type `ty`: nil, an unknown, or a known value.
    fn value(&mut self, ty: &Type) -> Result<Value, DecodeError> {
        let marker = self.marker()?;
        if marker == Marker::Null {
            return Ok(Value::Null);
        }
        if let Some(payload) = self.ext_len(marker)? {
            // Extension type byte, then the payload (refinements are dropped).
            self.take(payload + 1)?;
            return Ok(Value::Unknown);
        }
        self.nested(|d| d.known(marker, ty))
    }

    fn known(&mut self, marker: Marker, ty: &Type) -> Result<Value, DecodeError> {
        match ty {
            Type::String => self.string(marker, "string").map(Value::String),
            Type::Number => self.number(marker).map(Value::Number),
            Type::Bool => self.boolean(marker).map(Value::Bool),
            Type::List(element) => self.elements(marker, ty, element).map(Value::List),
            Type::Set(element) => self.elements(marker, ty, element).map(Value::Set),
            Type::Tuple(elements) => self.tuple(marker, ty, elements).map(Value::Tuple),
            Type::Map(element) => self.map(marker, ty, element).map(Value::Map),
            Type::Object(attributes) => self.object(marker, ty, attributes).map(Value::Object),
            Type::Dynamic => self.dynamic(marker),
        }
    }

    fn ext_len(&mut self, marker: Marker) -> Result<Option<usize>, DecodeError> {
        Ok(Some(match marker {
            Marker::FixExt1 => 1,
            Marker::FixExt2 => 2,
            Marker::FixExt4 => 4,
            Marker::FixExt8 => 8,
            Marker::FixExt16 => 16,
            Marker::Ext8 => self.len8()?,
            Marker::Ext16 => self.len16()?,
            Marker::Ext32 => self.len32()?,
            _ => return Ok(None),
        }))
    }

    fn str_len(&mut self, marker: Marker) -> Result<Option<usize>, DecodeError> {
        Ok(Some(match marker {
            Marker::FixStr(len) => usize::from(len),
            Marker::Str8 => self.len8()?,
            Marker::Str16 => self.len16()?,
            Marker::Str32 => self.len32()?,
            _ => return Ok(None),
        }))
    }

    fn bin_len(&mut self, marker: Marker) -> Result<Option<usize>, DecodeError> {
        Ok(Some(match marker {
            Marker::Bin8 => self.len8()?,
            Marker::Bin16 => self.len16()?,
            Marker::Bin32 => self.len32()?,
            _ => return Ok(None),
        }))
    }

    fn array_len(&mut self, marker: Marker) -> Result<Option<usize>, DecodeError> {
        Ok(Some(match marker {
            Marker::FixArray(len) => usize::from(len),
            Marker::Array16 => self.len16()?,
            Marker::Array32 => self.len32()?,
            _ => return Ok(None),
        }))
    }

    fn map_len(&mut self, marker: Marker) -> Result<Option<usize>, DecodeError> {
        Ok(Some(match marker {
            Marker::FixMap(len) => usize::from(len),
            Marker::Map16 => self.len16()?,
            Marker::Map32 => self.len32()?,
            _ => return Ok(None),
        }))
    }

    /// Fails early when `count` items of at least `min_size` bytes cannot fit,
    /// so a forged length never drives a huge allocation.
    fn check_room(&self, count: usize, min_size: usize) -> Result<(), DecodeError> {
        match count.checked_mul(min_size) {
            Some(needed) if needed <= self.rest.len() => Ok(()),
            _ => Err(self.error(DecodeErrorKind::Truncated)),
        }
    }

    fn utf8(&mut self, len: usize) -> Result<String, DecodeError> {
        let bytes = self.take(len)?;
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(text.to_owned()),
            Err(_) => Err(self.error(DecodeErrorKind::InvalidUtf8)),
        }
    }

    fn string(&mut self, marker: Marker, expected: &str) -> Result<String, DecodeError> {
        match self.str_len(marker)? {
            Some(len) => self.utf8(len),
            None => Err(self.mismatch(expected, marker)),
        }
    }

    fn boolean(&self, marker: Marker) -> Result<bool, DecodeError> {
        match marker {
            Marker::True => Ok(true),
            Marker::False => Ok(false),
            _ => Err(self.mismatch("bool", marker)),
        }
    }

    fn number(&mut self, marker: Marker) -> Result<Number, DecodeError> {
        let int = |i: i64| Ok(Number::Int(i));
        match marker {
            Marker::FixPos(n) => int(n.into()),
            Marker::FixNeg(n) => int(n.into()),
            Marker::U8 => int(self.take_array::<1>()?[0].into()),
            Marker::U16 => int(u16::from_be_bytes(self.take_array()?).into()),
            Marker::U32 => int(u32::from_be_bytes(self.take_array()?).into()),
            Marker::U64 => Ok(number_from_u64(u64::from_be_bytes(self.take_array()?))),
            Marker::I8 => int(i8::from_be_bytes(self.take_array()?).into()),
            Marker::I16 => int(i16::from_be_bytes(self.take_array()?).into()),
            Marker::I32 => int(i32::from_be_bytes(self.take_array()?).into()),
            Marker::I64 => int(i64::from_be_bytes(self.take_array()?)),
            Marker::F32 => {
                let float = f32::from_be_bytes(self.take_array()?);
                self.float(float.into())
            }
            Marker::F64 => {
                let float = f64::from_be_bytes(self.take_array()?);
                self.float(float)
            }
            _ => {
                let text = self.string(marker, "number")?;
                number_from_text(&text)
                    .ok_or_else(|| self.error(DecodeErrorKind::InvalidNumber(text)))
            }
        }
    }

    fn float(&self, float: f64) -> Result<Number, DecodeError> {
        if float.is_nan() {
            return Err(self.error(DecodeErrorKind::InvalidNumber("NaN".to_owned())));
        }
        Ok(Number::Float(float))
    }

    fn elements(
        &mut self,
        marker: Marker,
        ty: &Type,
        element: &Type,
    ) -> Result<Vec<Value>, DecodeError> {
        let Some(len) = self.array_len(marker)? else {
            return Err(self.mismatch(ty, marker));
        };
        self.check_room(len, 1)?;
        (0..len)
            .map(|i| self.at(ValuePathStep::Index(i), |d| d.value(element)))
            .collect()
    }

    fn tuple(
        &mut self,
        marker: Marker,
        ty: &Type,
        elements: &[Type],
    ) -> Result<Vec<Value>, DecodeError> {
        let Some(len) = self.array_len(marker)? else {
            return Err(self.mismatch(ty, marker));
        };
        if len != elements.len() {
            let (expected, found) = (elements.len(), len);
            return Err(self.error(DecodeErrorKind::TupleLength { expected, found }));
        }
        (elements.iter().enumerate())
            .map(|(i, element)| self.at(ValuePathStep::Index(i), |d| d.value(element)))
            .collect()
    }

    /// The header of a map: its entry count, checked against the input size.
    fn map_header(&mut self, marker: Marker, ty: &Type) -> Result<usize, DecodeError> {
        let Some(len) = self.map_len(marker)? else {
            return Err(self.mismatch(ty, marker));
        };
        self.check_room(len, 2)?;
        Ok(len)
    }

    fn key(&mut self) -> Result<String, DecodeError> {
        let marker = self.marker()?;
        self.string(marker, "a string key")
    }

    fn map(
        &mut self,
        marker: Marker,
        ty: &Type,
        element: &Type,
    ) -> Result<BTreeMap<String, Value>, DecodeError> {
        let len = self.map_header(marker, ty)?;
        let mut entries = BTreeMap::new();
        for _ in 0..len {
            let key = self.key()?;
            if entries.contains_key(&key) {
                return Err(self.error(DecodeErrorKind::DuplicateKey(key)));
            }
            let value = self.at(ValuePathStep::Key(key.clone()), |d| d.value(element))?;
            entries.insert(key, value);
        }
        Ok(entries)
    }

    fn object(
        &mut self,
        marker: Marker,
        ty: &Type,
        attributes: &BTreeMap<String, Type>,
    ) -> Result<BTreeMap<String, Value>, DecodeError> {
        let len = self.map_header(marker, ty)?;
        let mut values = BTreeMap::new();
        for _ in 0..len {
            let name = self.key()?;
            let Some(attribute_type) = attributes.get(&name) else {
                return Err(self.error(DecodeErrorKind::UnknownAttribute(name)));
            };
            if values.contains_key(&name) {
                return Err(self.error(DecodeErrorKind::DuplicateKey(name)));
            }
            let value = self.at(ValuePathStep::Attribute(name.clone()), |d| {
                d.value(attribute_type)
            })?;
            values.insert(name, value);
        }
        for name in attributes.keys() {
            values.entry(name.clone()).or_insert(Value::Null);
        }
        Ok(values)
    }

    /// `[type JSON (bin or str), value]`.
    fn dynamic(&mut self, marker: Marker) -> Result<Value, DecodeError> {
        const EXPECTED: &str = "a [type, value] array for a dynamic value";
        if self.array_len(marker)? != Some(2) {
            return Err(self.mismatch(EXPECTED, marker));
        }
        let ty = self.dynamic_type()?;
        self.value(&ty)
    }

    fn dynamic_type(&mut self) -> Result<Type, DecodeError> {
        let marker = self.marker()?;
        let len = match self.bin_len(marker)? {
            Some(len) => len,
            None => match self.str_len(marker)? {
                Some(len) => len,
                None => return Err(self.mismatch("type JSON as binary data or string", marker)),
            },
        };
        let json = self.take(len)?;
        Type::from_json(json).map_err(|e| self.error(DecodeErrorKind::DynamicType(e)))
    }
}

fn number_from_u64(n: u64) -> Number {
    match i64::try_from(n) {
        Ok(i) => Number::Int(i),
        Err(_) => Number::UInt(n),
    }
}

/// Writing into a `ByteBuf` cannot fail; this unwraps without a panic path.
fn written<T>(result: Result<T, ValueWriteError<Infallible>>) -> T {
    match result {
        Ok(value) => value,
        Err(
            ValueWriteError::InvalidMarkerWrite(never) | ValueWriteError::InvalidDataWrite(never),
        ) => match never {},
    }
}

/// Writes one value at a time into a byte buffer.
struct Encoder {
    out: ByteBuf,
    path: ValuePath,
}

impl Encoder {
    fn error(&self, kind: EncodeErrorKind) -> EncodeError {
        EncodeError {
            path: self.path.clone(),
            kind,
        }
    }

    fn at(
        &mut self,
        path_step: ValuePathStep,
        step: impl FnOnce(&mut Self) -> Result<(), EncodeError>,
    ) -> Result<(), EncodeError> {
        self.path.push(path_step);
        let result = step(self);
        self.path.pop();
        result
    }

    fn value(&mut self, value: &Value, ty: &Type) -> Result<(), EncodeError> {
        match (value, ty) {
            (Value::Null, _) => self.raw(&[0xc0]),
            (Value::Unknown, _) => self.raw(&UNKNOWN),
            (_, Type::Dynamic) => self.dynamic(value),
            (Value::Bool(b), Type::Bool) => self.raw(&[if *b { 0xc3 } else { 0xc2 }]),
            (Value::Number(n), Type::Number) => self.number(n),
            (Value::String(s), Type::String) => self.string(s),
            (Value::List(items), Type::List(element)) | (Value::Set(items), Type::Set(element)) => {
                self.array_header(items.len())?;
                self.elements(items.iter().map(|item| (item, &**element)))
            }
            (Value::Tuple(items), Type::Tuple(elements)) => self.tuple(items, elements),
            (Value::Map(entries), Type::Map(element)) => self.map(entries, element),
            (Value::Object(attrs), Type::Object(types)) => self.object(attrs, types),
            (value, ty) => Err(self.error(EncodeErrorKind::TypeMismatch {
                expected: ty.to_string(),
                found: value.kind_name(),
            })),
        }
    }

    fn raw(&mut self, bytes: &[u8]) -> Result<(), EncodeError> {
        self.out.as_mut_vec().extend_from_slice(bytes);
        Ok(())
    }

    fn len32(&self, len: usize, what: &'static str) -> Result<u32, EncodeError> {
        u32::try_from(len).map_err(|_| self.error(EncodeErrorKind::TooLong(what)))
    }

    fn string(&mut self, text: &str) -> Result<(), EncodeError> {
        let len = self.len32(text.len(), "string")?;
        written(rmp::encode::write_str_len(&mut self.out, len));
        self.out.as_mut_vec().extend_from_slice(text.as_bytes());
        Ok(())
    }

    fn array_header(&mut self, len: usize) -> Result<(), EncodeError> {
        let len = self.len32(len, "collection")?;
        written(rmp::encode::write_array_len(&mut self.out, len));
        Ok(())
    }

    fn map_header(&mut self, len: usize) -> Result<(), EncodeError> {
        let len = self.len32(len, "map")?;
        written(rmp::encode::write_map_len(&mut self.out, len));
        Ok(())
    }

    /// Whole numbers go as decimal strings, which Terraform parses exactly
    /// as it parses numbers in its state file: a value refreshed from the
    /// provider then equals the stored one byte for byte. (Sent as msgpack
    /// integers they differ in precision inside Terraform, and
    /// `plan -refresh-only -detailed-exitcode` reports drift that is not
    /// there; hashicorp/terraform#36403.)
    fn number(&mut self, number: &Number) -> Result<(), EncodeError> {
        match number {
            Number::Int(i) => return self.string(&i.to_string()),
            Number::UInt(u) => return self.string(&u.to_string()),
            Number::Float(f) if f.is_nan() => {
                return Err(self.error(EncodeErrorKind::InvalidNumber("NaN".to_owned())))
            }
            Number::Float(f) => written(rmp::encode::write_f64(&mut self.out, *f)),
            Number::Decimal(text) if !is_decimal_number(text) => {
                return Err(self.error(EncodeErrorKind::InvalidNumber(text.clone())))
            }
            Number::Decimal(text) => return self.string(text),
        }
        Ok(())
    }

    fn elements<'v>(
        &mut self,
        items: impl Iterator<Item = (&'v Value, &'v Type)>,
    ) -> Result<(), EncodeError> {
        for (i, (item, ty)) in items.enumerate() {
            self.at(ValuePathStep::Index(i), |e| e.value(item, ty))?;
        }
        Ok(())
    }

    fn tuple(&mut self, items: &[Value], elements: &[Type]) -> Result<(), EncodeError> {
        if items.len() != elements.len() {
            let (expected, found) = (elements.len(), items.len());
            return Err(self.error(EncodeErrorKind::TupleLength { expected, found }));
        }
        self.array_header(items.len())?;
        self.elements(items.iter().zip(elements))
    }

    fn map(
        &mut self,
        entries: &BTreeMap<String, Value>,
        element: &Type,
    ) -> Result<(), EncodeError> {
        self.map_header(entries.len())?;
        for (key, value) in entries {
            self.string(key)?;
            self.at(ValuePathStep::Key(key.clone()), |e| e.value(value, element))?;
        }
        Ok(())
    }

    /// Every attribute of the type is written; absent ones as nil.
    fn object(
        &mut self,
        attrs: &BTreeMap<String, Value>,
        types: &BTreeMap<String, Type>,
    ) -> Result<(), EncodeError> {
        if let Some(extra) = attrs.keys().find(|name| !types.contains_key(*name)) {
            return Err(self.error(EncodeErrorKind::UnknownAttribute(extra.clone())));
        }
        self.map_header(types.len())?;
        for (name, ty) in types {
            self.string(name)?;
            let value = attrs.get(name).unwrap_or(&Value::Null);
            self.at(ValuePathStep::Attribute(name.clone()), |e| {
                e.value(value, ty)
            })?;
        }
        Ok(())
    }

    /// A known value under `dynamic`: `[bin(type JSON), value]`.
    fn dynamic(&mut self, value: &Value) -> Result<(), EncodeError> {
        let ty = value.infer_type();
        self.array_header(2)?;
        let json = ty.to_json();
        let len = self.len32(json.len(), "type JSON")?;
        written(rmp::encode::write_bin_len(&mut self.out, len));
        self.out.as_mut_vec().extend_from_slice(&json);
        self.value(value, &ty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> Value {
        Value::String(text.to_owned())
    }

    fn int(i: i64) -> Value {
        Value::Number(Number::Int(i))
    }

    fn object(attrs: &[(&str, Value)]) -> Value {
        Value::Object(
            attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    fn decode_err(bytes: &[u8], ty: &Type) -> DecodeError {
        decode(bytes, ty).expect_err("decoding should fail")
    }

    #[test]
    fn nil_is_null_for_every_type() {
        for ty in [
            Type::String,
            Type::list(Type::Bool),
            Type::object([]),
            Type::Dynamic,
        ] {
            assert_eq!(decode(&[0xc0], &ty).unwrap(), Value::Null);
            assert_eq!(encode(&Value::Null, &ty).unwrap(), [0xc0]);
        }
    }

    #[test]
    fn empty_input_is_null() {
        assert_eq!(decode(&[], &Type::object([])).unwrap(), Value::Null);
    }

    #[test]
    fn plain_unknown() {
        assert_eq!(decode(&UNKNOWN, &Type::String).unwrap(), Value::Unknown);
        assert_eq!(decode(&UNKNOWN, &Type::Dynamic).unwrap(), Value::Unknown);
        assert_eq!(encode(&Value::Unknown, &Type::Number).unwrap(), UNKNOWN);
        assert_eq!(encode(&Value::Unknown, &Type::Dynamic).unwrap(), UNKNOWN);
    }

    #[test]
    fn refined_unknown_with_map_payload() {
        // ext8, 7 bytes, type 12: {1: false, 2: "ab"} (not null, prefix "ab").
        let bytes = [0xc7, 0x07, 0x0c, 0x82, 0x01, 0xc2, 0x02, 0xa2, b'a', b'b'];
        assert_eq!(decode(&bytes, &Type::String).unwrap(), Value::Unknown);
        // Inside a list, followed by a known element.
        let list = [&[0x92][..], &bytes, &[0xa1, b'x']].concat();
        assert_eq!(
            decode(&list, &Type::list(Type::String)).unwrap(),
            Value::List(vec![Value::Unknown, s("x")])
        );
    }

    #[test]
    fn other_extensions_are_unknown() {
        let fixext4 = [0xd6, 0x05, 1, 2, 3, 4];
        assert_eq!(decode(&fixext4, &Type::Bool).unwrap(), Value::Unknown);
    }

    #[test]
    fn decimal_string_number() {
        let bytes = [0xa3, b'0', b'.', b'1'];
        assert_eq!(
            decode(&bytes, &Type::Number).unwrap(),
            Value::Number(Number::Decimal("0.1".into()))
        );
        let round = encode(&Value::Number(Number::Decimal("0.1".into())), &Type::Number).unwrap();
        assert_eq!(round, bytes);
        assert_eq!(decode(&[0xa2, b'4', b'2'], &Type::Number).unwrap(), int(42));
    }

    #[test]
    fn integers_and_floats() {
        let cases: [(&[u8], Number); 7] = [
            (&[0x05], Number::Int(5)),
            (&[0xff], Number::Int(-1)),
            (&[0xcc, 0xc8], Number::Int(200)),
            (&[0xd1, 0xfc, 0x18], Number::Int(-1000)),
            (
                &[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                Number::UInt(u64::MAX),
            ),
            (&[0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0], Number::Float(1.5)),
            (&[0xca, 0x3f, 0xc0, 0, 0], Number::Float(1.5)),
        ];
        for (bytes, number) in cases {
            assert_eq!(decode(bytes, &Type::Number).unwrap(), Value::Number(number));
        }
        // Whole numbers are sent as decimal strings (see `Encoder::number`).
        assert_eq!(
            encode(&int(200), &Type::Number).unwrap(),
            [0xa3, b'2', b'0', b'0']
        );
        assert_eq!(
            encode(&int(-1000), &Type::Number).unwrap(),
            [0xa5, b'-', b'1', b'0', b'0', b'0']
        );
        assert_eq!(
            decode(&encode(&int(-1000), &Type::Number).unwrap(), &Type::Number).unwrap(),
            int(-1000)
        );
        let float = encode(&Value::Number(Number::Float(1.5)), &Type::Number).unwrap();
        assert_eq!(float, [0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn object_with_all_attributes() {
        let ty = Type::object([("a", Type::String), ("b", Type::Number)]);
        let bytes = [0x82, 0xa1, b'a', 0xa1, b'x', 0xa1, b'b', 0x01];
        let value = object(&[("a", s("x")), ("b", int(1))]);
        assert_eq!(decode(&bytes, &ty).unwrap(), value);
        let sent = [0x82, 0xa1, b'a', 0xa1, b'x', 0xa1, b'b', 0xa1, b'1'];
        assert_eq!(encode(&value, &ty).unwrap(), sent);
    }

    #[test]
    fn missing_attributes_are_null_both_ways() {
        let ty = Type::object([("a", Type::String), ("b", Type::Number)]);
        let partial = object(&[("a", s("x"))]);
        let bytes = encode(&partial, &ty).unwrap();
        assert_eq!(bytes, [0x82, 0xa1, b'a', 0xa1, b'x', 0xa1, b'b', 0xc0]);
        let wire_partial = [0x81, 0xa1, b'a', 0xa1, b'x'];
        let decoded = decode(&wire_partial, &ty).unwrap();
        assert_eq!(decoded, object(&[("a", s("x")), ("b", Value::Null)]));
    }

    #[test]
    fn dynamic_wire_form() {
        let bytes = [&[0x92, 0xc4, 0x08][..], b"\"string\"", &[0xa2, b'h', b'i']].concat();
        assert_eq!(decode(&bytes, &Type::Dynamic).unwrap(), s("hi"));
        assert_eq!(encode(&s("hi"), &Type::Dynamic).unwrap(), bytes);
        // The type may also come as a msgpack string.
        let as_str = [&[0x92, 0xa8][..], b"\"string\"", &[0xa2, b'h', b'i']].concat();
        assert_eq!(decode(&as_str, &Type::Dynamic).unwrap(), s("hi"));
    }

    #[test]
    fn dynamic_list_round_trip() {
        let value = Value::List(vec![
            object(&[("n", int(1))]),
            object(&[("n", Value::Null)]),
        ]);
        let bytes = encode(&value, &Type::Dynamic).unwrap();
        let type_json = br#"["list",["object",{"n":"number"}]]"#;
        assert_eq!(&bytes[..3], [0x92, 0xc4, type_json.len() as u8]);
        assert_eq!(&bytes[3..3 + type_json.len()], type_json);
        assert_eq!(decode(&bytes, &Type::Dynamic).unwrap(), value);
    }

    #[test]
    fn wrong_type_names_the_path() {
        let ty = Type::object([("subnet_ids", Type::list(Type::String))]);
        let bytes = [
            &[0x81, 0xaa][..],
            b"subnet_ids",
            &[0x93, 0xa1, b'a', 0xa1, b'b', 0xc3],
        ]
        .concat();
        let err = decode_err(&bytes, &ty);
        assert_eq!(
            err.to_string(),
            "at .subnet_ids[2]: expected string, found bool"
        );
    }

    #[test]
    fn truncated_input() {
        let ty = Type::object([("a", Type::String)]);
        let err = decode_err(&[0x81, 0xa1, b'a', 0xa3, b'x'], &ty);
        assert!(matches!(err.kind, DecodeErrorKind::Truncated), "{err}");
        assert!(matches!(
            decode_err(&[0xcd, 0x01], &Type::Number).kind,
            DecodeErrorKind::Truncated
        ));
        // A forged huge length fails fast instead of allocating.
        let forged = [0xdd, 0xff, 0xff, 0xff, 0xff];
        assert!(matches!(
            decode_err(&forged, &Type::list(Type::Bool)).kind,
            DecodeErrorKind::Truncated
        ));
    }

    #[test]
    fn trailing_bytes() {
        let err = decode_err(&[0xc3, 0xc0, 0xc0], &Type::Bool);
        assert!(
            matches!(err.kind, DecodeErrorKind::TrailingBytes(2)),
            "{err}"
        );
    }

    #[test]
    fn unknown_attribute() {
        let ty = Type::object([("a", Type::String)]);
        let err = decode_err(&[0x81, 0xa1, b'z', 0xc0], &ty);
        assert_eq!(
            err.to_string(),
            "at (root): attribute \"z\" is not in the object type"
        );
        let extra = object(&[("a", s("x")), ("z", Value::Null)]);
        let err = encode(&extra, &ty).unwrap_err();
        assert!(matches!(err.kind, EncodeErrorKind::UnknownAttribute(ref name) if name == "z"));
    }

    #[test]
    fn duplicate_keys_and_bad_utf8() {
        let ty = Type::map(Type::Bool);
        let err = decode_err(&[0x82, 0xa1, b'k', 0xc3, 0xa1, b'k', 0xc2], &ty);
        assert!(
            matches!(err.kind, DecodeErrorKind::DuplicateKey(_)),
            "{err}"
        );
        let err = decode_err(&[0xa1, 0xff], &Type::String);
        assert!(matches!(err.kind, DecodeErrorKind::InvalidUtf8), "{err}");
    }

    #[test]
    fn invalid_numbers() {
        let err = decode_err(&[0xa3, b'a', b'b', b'c'], &Type::Number);
        assert!(
            matches!(err.kind, DecodeErrorKind::InvalidNumber(_)),
            "{err}"
        );
        let nan = Value::Number(Number::Float(f64::NAN));
        assert!(encode(&nan, &Type::Number).is_err());
        let bad = Value::Number(Number::Decimal("1.2.3".into()));
        assert!(encode(&bad, &Type::Number).is_err());
    }

    #[test]
    fn tuple_length_is_checked() {
        let ty = Type::Tuple(vec![Type::String, Type::Bool]);
        let err = decode_err(&[0x91, 0xc0], &ty);
        assert!(matches!(
            err.kind,
            DecodeErrorKind::TupleLength {
                expected: 2,
                found: 1
            }
        ));
        let err = encode(&Value::Tuple(vec![Value::Null]), &ty).unwrap_err();
        assert!(matches!(
            err.kind,
            EncodeErrorKind::TupleLength {
                expected: 2,
                found: 1
            }
        ));
    }

    #[test]
    fn encode_type_mismatch_names_the_path() {
        let ty = Type::object([("tags", Type::map(Type::String))]);
        let tags = Value::Map(BTreeMap::from([("Name".to_owned(), Value::Bool(true))]));
        let err = encode(&object(&[("tags", tags)]), &ty).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"at .tags["Name"]: expected string, found bool"#
        );
    }

    #[test]
    fn deep_dynamic_nesting_is_refused() {
        let mut bytes = Vec::new();
        for _ in 0..MAX_DEPTH + 10 {
            bytes.extend_from_slice(&[0x92, 0xa9]);
            bytes.extend_from_slice(b"\"dynamic\"");
        }
        bytes.push(0xc3);
        let err = decode_err(&bytes, &Type::Dynamic);
        assert!(matches!(err.kind, DecodeErrorKind::TooDeep), "{err}");
    }

    #[test]
    fn decimal_syntax() {
        for ok in ["0", "-1.5", "+2", ".5", "5.", "1e10", "1.5E-3"] {
            assert!(is_decimal_number(ok), "{ok}");
        }
        for bad in [
            "", ".", "-", "1e", "e5", "1.2.3", "NaN", "inf", "1_000", " 1",
        ] {
            assert!(!is_decimal_number(bad), "{bad}");
        }
    }
}

//! JSON (and TOML) reading in which a record is an object.
//!
//! serde's derived `Deserialize` for a struct accepts a JSON array too, taking the fields
//! by position: `[1000000, 0, 0, 0, 1000000]` would read as a usage record with a million
//! input and a million output tokens. Untrusted JSON (usage records, exchange rates, the
//! calculator's options, vendor bodies) is read through [`from_str`] / [`from_slice`]
//! instead, whose deserializer hands every struct to its visitor as a map only, so an array
//! where a record belongs is a type error at that array, reported like any other. Price
//! tables are read through [`Strict`] around the TOML deserializer for the same reason.
//!
//! The wrapper passes everything else through unchanged, nested values included (each
//! element, map value and enum payload is read through it as well). Values that serde
//! buffers before deciding their type (untagged and internally tagged enums, `flatten`)
//! are read from the buffer by serde's own deserializer, out of its reach.

use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};

/// Reads `T` from JSON text, structs from objects only.
pub fn from_str<T: de::DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    from_slice(text.as_bytes())
}

/// Reads `T` from JSON bytes, structs from objects only.
pub fn from_slice<T: de::DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = T::deserialize(Strict::new(&mut de))?;
    de.end()?;
    Ok(value)
}

/// A deserializer, visitor, access or seed that keeps the rule for everything under it.
pub struct Strict<T>(T, Spans);

/// Whether the format under a [`Strict`] answers the `toml` crate's request for a value's
/// place in the text.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Spans {
    /// It does (TOML), or no value asks (JSON read into types without places).
    Given,
    /// It does not (the built-in tables' JSON form read into the TOML loader's types): every
    /// value is given the empty place `0..0`, as if the format had answered.
    Zero,
}

impl<T> Strict<T> {
    /// Wraps a deserializer.
    pub fn new(inner: T) -> Self {
        Strict(inner, Spans::Given)
    }

    /// Wraps a deserializer of a format without places (JSON) for types that ask for them
    /// (`toml::Spanned`): each such value is read with the empty place `0..0`. This lets the
    /// built-in tables, embedded as JSON (parsed several times faster than their TOML), be
    /// read by the same loader as a table given as TOML.
    pub(crate) fn spanless(inner: T) -> Self {
        Strict(inner, Spans::Zero)
    }
}

/// The `toml` crate's span protocol (its `Spanned<T>` asks for a struct of this name with
/// these three fields: start, end, value). A test below reads a `toml::Spanned` through
/// [`Strict::spanless`], so a change of protocol fails there, not silently.
const SPANNED: &str = "$__serde_spanned_private_Spanned";
const SPANNED_FIELDS: [&str; 3] = [
    "$__serde_spanned_private_start",
    "$__serde_spanned_private_end",
    "$__serde_spanned_private_value",
];

/// The map a `toml::Spanned` visitor reads: start 0, end 0, then the value itself.
struct ZeroSpan<D> {
    value: Option<D>,
    step: usize,
}

impl<'de, D: Deserializer<'de>> MapAccess<'de> for ZeroSpan<D> {
    type Error = D::Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        match SPANNED_FIELDS.get(self.step) {
            Some(key) => seed
                .deserialize(de::value::BorrowedStrDeserializer::new(key))
                .map(Some),
            None => Ok(None),
        }
    }
    fn next_value_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<T::Value, Self::Error> {
        self.step += 1;
        if self.step < SPANNED_FIELDS.len() {
            return seed.deserialize(de::value::U64Deserializer::new(0));
        }
        match self.value.take() {
            Some(d) => seed.deserialize(d),
            None => Err(de::Error::custom("a spanned value was read twice")),
        }
    }
}

macro_rules! forward {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
            self.0.$method(Strict(v, self.1))
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Strict<D> {
    type Error = D::Error;

    forward!(
        deserialize_any,
        deserialize_bool,
        deserialize_i8,
        deserialize_i16,
        deserialize_i32,
        deserialize_i64,
        deserialize_i128,
        deserialize_u8,
        deserialize_u16,
        deserialize_u32,
        deserialize_u64,
        deserialize_u128,
        deserialize_f32,
        deserialize_f64,
        deserialize_char,
        deserialize_str,
        deserialize_string,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_option,
        deserialize_unit,
        deserialize_seq,
        deserialize_map,
        deserialize_identifier,
        deserialize_ignored_any
    );

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_unit_struct(name, Strict(v, self.1))
    }
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_newtype_struct(name, Strict(v, self.1))
    }
    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_tuple(len, Strict(v, self.1))
    }
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        v: V,
    ) -> Result<V::Value, Self::Error> {
        self.0
            .deserialize_tuple_struct(name, len, Strict(v, self.1))
    }
    /// The point of the wrapper: a struct is read as a map, so the parser refuses an array
    /// (with the struct's own "expected struct X" message) instead of reading it by position.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Self::Error> {
        // A format's private protocols (the `toml` crate's spans and dates) go by a name
        // starting with `$`: those are asked as structs still. Either way the visitor's
        // sequence form is taken away, which refuses an array whatever the format; asking
        // for a map also makes serde_json report it at the array's first character.
        if self.1 == Spans::Zero && name == SPANNED {
            let value = Strict(self.0, self.1);
            return v.visit_map(ZeroSpan {
                value: Some(value),
                step: 0,
            });
        }
        if name.starts_with('$') {
            return self
                .0
                .deserialize_struct(name, fields, NoSeq(Strict(v, self.1)));
        }
        self.0.deserialize_map(NoSeq(Strict(v, self.1)))
    }
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_enum(name, variants, Strict(v, self.1))
    }
    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

macro_rules! visit {
    ($($method:ident: $t:ty),*) => {$(
        fn $method<E: de::Error>(self, x: $t) -> Result<Self::Value, E> {
            self.0.$method(x)
        }
    )*};
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Strict<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        self.0.expecting(f)
    }
    visit!(
        visit_bool: bool, visit_i8: i8, visit_i16: i16, visit_i32: i32, visit_i64: i64,
        visit_i128: i128, visit_u8: u8, visit_u16: u16, visit_u32: u32, visit_u64: u64,
        visit_u128: u128, visit_f32: f32, visit_f64: f64, visit_char: char,
        visit_str: &str, visit_borrowed_str: &'de str, visit_string: String,
        visit_bytes: &[u8], visit_borrowed_bytes: &'de [u8], visit_byte_buf: Vec<u8>
    );
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_none()
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_unit()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.visit_some(Strict(d, self.1))
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.visit_newtype_struct(Strict(d, self.1))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.0.visit_seq(Strict(seq, self.1))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.0.visit_map(Strict(map, self.1))
    }
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        self.0.visit_enum(Strict(data, self.1))
    }
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Strict<S> {
    type Value = S::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(Strict(d, self.1))
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Strict<A> {
    type Error = A::Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Self::Error> {
        self.0.next_element_seed(Strict(seed, self.1))
    }
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Strict<A> {
    type Error = A::Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        self.0.next_key_seed(Strict(seed, self.1))
    }
    fn next_value_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<T::Value, Self::Error> {
        self.0.next_value_seed(Strict(seed, self.1))
    }
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Strict<A> {
    type Error = A::Error;
    type Variant = Strict<A::Variant>;
    fn variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Self::Variant), Self::Error> {
        let spans = self.1;
        let (v, rest) = self.0.variant_seed(Strict(seed, spans))?;
        Ok((v, Strict(rest, spans)))
    }
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Strict<A> {
    type Error = A::Error;
    fn unit_variant(self) -> Result<(), Self::Error> {
        self.0.unit_variant()
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, Self::Error> {
        self.0.newtype_variant_seed(Strict(seed, self.1))
    }
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, Self::Error> {
        self.0.tuple_variant(len, Strict(v, self.1))
    }
    /// As for a struct: a struct variant's fields come from an object only.
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Self::Error> {
        // VariantAccess has no map form; the visitor refuses a sequence itself.
        self.0.struct_variant(fields, NoSeq(Strict(v, self.1)))
    }
}

/// A struct's visitor with its sequence form taken away: serde's default `visit_seq`
/// refuses with "invalid type: sequence, expected struct ...".
struct NoSeq<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for NoSeq<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        self.0.expecting(f)
    }
    visit!(
        visit_bool: bool, visit_i8: i8, visit_i16: i16, visit_i32: i32, visit_i64: i64,
        visit_i128: i128, visit_u8: u8, visit_u16: u16, visit_u32: u32, visit_u64: u64,
        visit_u128: u128, visit_f32: f32, visit_f64: f64, visit_char: char,
        visit_str: &str, visit_borrowed_str: &'de str, visit_string: String,
        visit_bytes: &[u8], visit_borrowed_bytes: &'de [u8], visit_byte_buf: Vec<u8>
    );
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_none()
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        self.0.visit_unit()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.visit_some(d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.visit_newtype_struct(d)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.0.visit_map(map)
    }
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        self.0.visit_enum(data)
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Inner {
        a: u32,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct Outer {
        inner: Vec<Inner>,
        opt: Option<Inner>,
        boxed: Box<Inner>,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    enum E {
        S { a: u32 },
    }

    #[test]
    fn a_struct_is_read_from_an_object_at_every_depth() {
        let ok: Outer =
            super::from_str(r#"{"inner":[{"a":1}],"opt":{"a":2},"boxed":{"a":3}}"#).unwrap();
        assert_eq!(ok.boxed.a, 3);
        // serde_json alone takes each of these by position.
        for text in [
            r#"[[{"a":1}],null,{"a":3}]"#,
            r#"{"inner":[[1]],"opt":null,"boxed":{"a":3}}"#,
            r#"{"inner":[],"opt":[2],"boxed":{"a":3}}"#,
            r#"{"inner":[],"opt":null,"boxed":[3]}"#,
        ] {
            assert!(serde_json::from_str::<Outer>(text).is_ok(), "{text}");
            let e = super::from_str::<Outer>(text).unwrap_err();
            assert!(e.to_string().contains("expected struct"), "{text}: {e}");
        }
        assert_eq!(
            super::from_str::<E>(r#"{"S":{"a":1}}"#).unwrap(),
            E::S { a: 1 }
        );
        assert!(serde_json::from_str::<E>(r#"{"S":[1]}"#).is_ok());
        assert!(super::from_str::<E>(r#"{"S":[1]}"#).is_err());
        assert!(super::from_str::<Inner>(r#"{"a":1} x"#).is_err());
    }

    // The built-in tables' JSON read into the TOML loader's types: each `toml::Spanned`
    // takes the empty place, nested values keep the object-only rule.
    #[test]
    fn a_spanless_json_reads_toml_spanned_values_with_empty_places() {
        use serde::Deserialize;
        #[derive(Deserialize)]
        struct T {
            name: toml::Spanned<String>,
            inner: toml::Spanned<Inner>,
            list: Vec<toml::Spanned<u32>>,
        }
        let mut de =
            serde_json::Deserializer::from_str(r#"{"name":"x","inner":{"a":2},"list":[1,2]}"#);
        let t = T::deserialize(super::Strict::spanless(&mut de)).unwrap();
        assert_eq!((t.name.get_ref().as_str(), t.name.span()), ("x", 0..0));
        assert_eq!((t.inner.get_ref().a, t.inner.span()), (2, 0..0));
        assert_eq!(
            t.list.iter().map(|v| *v.get_ref()).collect::<Vec<_>>(),
            [1, 2]
        );
        let mut de = serde_json::Deserializer::from_str(r#"{"name":"x","inner":[2],"list":[]}"#);
        assert!(T::deserialize(super::Strict::spanless(&mut de)).is_err());
        // Without the empty places serde_json cannot read a `toml::Spanned` at all.
        assert!(serde_json::from_str::<toml::Spanned<String>>(r#""x""#).is_err());
    }
}

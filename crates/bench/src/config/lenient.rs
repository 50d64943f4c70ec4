//! Scalars read the way DLIO 3.0.2 reads them where it converts values itself: a bool may be
//! written `true` or `"true"` (`skip_listing`, `s3_force_path_style`), a count `5` or `"5"`
//! (`int()`), a name or key `12345` or `"12345"` (an environment variable that looks like a
//! number). Used through `#[serde(deserialize_with = "...")]`.

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// A YAML scalar of any kind.
#[derive(Debug, Clone, PartialEq)]
enum Scalar {
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string, a number or a bool")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Int(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar::Int(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Str(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar::Str(v))
            }
        }
        d.deserialize_any(V)
    }
}

impl Scalar {
    fn text(self) -> String {
        match self {
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Str(s) => s,
        }
    }

    fn boolean<E: de::Error>(self) -> Result<bool, E> {
        match self {
            Scalar::Bool(b) => Ok(b),
            Scalar::Int(i) => Ok(i != 0),
            Scalar::Str(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(true),
                "false" | "0" | "no" | "off" | "" => Ok(false),
                _ => Err(E::custom(format!("expected a bool (true or false), found {s:?}"))),
            },
            Scalar::Float(f) => Err(E::custom(format!("expected a bool (true or false), found {f}"))),
        }
    }

    fn unsigned<E: de::Error>(self) -> Result<u64, E> {
        let bad = |v: String| E::custom(format!("expected a non-negative whole number, found {v}"));
        match self {
            Scalar::Int(i) => u64::try_from(i).map_err(|_| bad(i.to_string())),
            Scalar::Str(s) => s.trim().parse::<u64>().map_err(|_| bad(format!("{s:?}"))),
            other => Err(bad(other.text())),
        }
    }
}

/// A bool, or a string DLIO reads as one (`"true"`, `"1"`, `"yes"`, `"on"`, and their opposites).
pub fn bool_like<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Scalar::deserialize(d)?.boolean()
}

/// [`bool_like`], optional.
pub fn opt_bool_like<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Option::<Scalar>::deserialize(d)?.map(Scalar::boolean).transpose()
}

/// A count given as a number or as a string of digits (DLIO calls `int()` on it).
pub fn opt_u64_like<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Option::<Scalar>::deserialize(d)?
        .map(Scalar::unsigned)
        .transpose()
}

/// [`opt_u64_like`] for counts that fit 32 bits.
pub fn opt_u32_like<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    match opt_u64_like(d)? {
        Some(v) => u32::try_from(v)
            .map(Some)
            .map_err(|_| de::Error::custom(format!("{v} is too large"))),
        None => Ok(None),
    }
}

/// A string; a number or bool in its place is taken as its text (`bucket: 2024`).
pub fn string_like<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Scalar::deserialize(d)?.text())
}

/// [`string_like`], optional.
pub fn opt_string_like<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<Scalar>::deserialize(d)?.map(Scalar::text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "bool_like")]
        b: bool,
        #[serde(default, deserialize_with = "opt_u32_like")]
        n: Option<u32>,
        #[serde(default, deserialize_with = "opt_string_like")]
        s: Option<String>,
    }

    fn t(yaml: &str) -> Result<T, serde_yaml_ng::Error> {
        serde_yaml_ng::from_str(yaml)
    }

    #[test]
    fn scalars_as_dlio_converts_them() {
        let v = t("b: 'yes'\nn: '5'\ns: 12345").expect("lenient");
        assert!(v.b);
        assert_eq!((v.n, v.s.as_deref()), (Some(5), Some("12345")));
        let v = t("b: False\nn: 7\ns: ~").expect("plain");
        assert!(!v.b);
        assert_eq!((v.n, v.s), (Some(7), None));
        assert!(t("b: maybe").expect_err("bad bool").to_string().contains("maybe"));
        assert!(t("n: -1").is_err() && t("n: x").is_err());
    }
}

//! Names of closed sets of values, from one table per enum.
//!
//! A table `Variant => "name"` given to [`names!`](crate::names) writes
//! `name`, `from_name`, `ALL`, `NAMES`, `Display` and the [`Named`] trait
//! (and, when asked, serde as the name): what scenario files, links,
//! reports and tables spell. Two hand-written `match`es, one per
//! direction, drift apart; one table cannot.
//!
//! Only names live here: no knowledge of any particular enum, no parsing
//! policy beyond "exactly this name" (a caller wanting case-insensitive
//! names says so, see [`Named::from_name_ignore_case`]), and nothing that
//! changes how an enum's variants are serialised unless its table asks.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;
use std::marker::PhantomData;

/// An enum whose values have names. [`names!`](crate::names) implements
/// it; an enum defined elsewhere may implement it by hand over its own
/// `name` / `from_name`.
pub trait Named: Copy + 'static {
    /// What one value is, in messages: "booking status".
    const WHAT: &'static str;

    /// Every value, in the order of its names table.
    fn all() -> &'static [Self];

    /// Its name.
    fn name(self) -> &'static str;

    /// The value with exactly this name.
    fn from_name(name: &str) -> Option<Self> {
        Self::all().iter().copied().find(|v| v.name() == name)
    }

    /// The value with this name, in any letter case.
    fn from_name_ignore_case(name: &str) -> Option<Self> {
        Self::all().iter().copied().find(|v| v.name().eq_ignore_ascii_case(name))
    }

    /// Why `name` names none of these: "unknown booking status `x`
    /// (available, held, …)".
    fn unknown(name: &str) -> String {
        let names: Vec<&str> = Self::all().iter().map(|v| v.name()).collect();
        format!("unknown {} `{name}` ({})", Self::WHAT, names.join(", "))
    }
}

/// Writes, from a table `Variant => "name"` over an existing fieldless
/// enum: `ALL` and `NAMES` (table order), `name(self) -> &'static str`,
/// `from_name(&str) -> Option<Self>` (exact), `Display` (the name) and
/// [`Named`](crate::domain::names::Named). `name`'s `match` must cover
/// every variant, so a variant missing from the table does not compile.
///
/// ```ignore
/// crate::names!(SeatState as "seat state" { Free => "free", Held => "held" });
/// crate::names!(SeatState as "seat state", serde { Free => "free", Held => "held" });
/// ```
///
/// With `serde`, it also writes `Serialize` / `Deserialize` as the name
/// (an unknown name is an error naming it and every known one). Without,
/// the enum keeps whatever serde it derives; a field can still be read and
/// written by name with `#[serde(with = "crate::domain::names::by_name")]`.
#[macro_export]
macro_rules! names {
    ($ty:ident as $what:literal, serde { $($v:ident => $n:literal),+ $(,)? }) => {
        $crate::names!($ty as $what { $($v => $n),+ });
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                $crate::domain::names::by_name::serialize(self, s)
            }
        }
        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                $crate::domain::names::by_name::deserialize(d)
            }
        }
    };
    ($ty:ident as $what:literal { $($v:ident => $n:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in the order of its names table.
            pub const ALL: [$ty; $crate::names!(@count $($v)+)] = [$($ty::$v),+];
            /// Every value's name, in the order of [`Self::ALL`].
            pub const NAMES: [&'static str; $crate::names!(@count $($v)+)] = [$($n),+];

            /// Its name.
            pub const fn name(self) -> &'static str {
                match self {
                    $($ty::$v => $n,)+
                }
            }

            /// The value with exactly this name.
            pub fn from_name(name: &str) -> ::std::option::Option<$ty> {
                match name {
                    $($n => ::std::option::Option::Some($ty::$v),)+
                    _ => ::std::option::Option::None,
                }
            }
        }
        impl $crate::domain::names::Named for $ty {
            const WHAT: &'static str = $what;
            fn all() -> &'static [Self] {
                &$ty::ALL
            }
            fn name(self) -> &'static str {
                $ty::name(self)
            }
            fn from_name(name: &str) -> ::std::option::Option<Self> {
                $ty::from_name(name)
            }
        }
        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($ty::name(*self))
            }
        }
    };
    (@count $($v:ident)+) => { <[()]>::len(&[$($crate::names!(@unit $v)),+]) };
    (@unit $v:ident) => { () };
}

/// A value of `T` that serde reads and writes as its name.
struct ByName<T>(T);

impl<T: Named> Serialize for ByName<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name())
    }
}

impl<'de, T: Named> Deserialize<'de> for ByName<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(NameVisitor(PhantomData)).map(ByName)
    }
}

struct NameVisitor<T>(PhantomData<T>);

impl<T: Named> Visitor<'_> for NameVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the name of a {}", T::WHAT)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        T::from_name(v).ok_or_else(|| E::custom(T::unknown(v)))
    }
}

/// Serde of a [`Named`] value as its name, for `#[serde(with = "…")]` on
/// a field whose type keeps another serde (`by_name::option` and
/// `by_name::vec` for `Option<T>` and `Vec<T>`).
pub mod by_name {
    use super::{ByName, Named};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Named, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        ByName(*v).serialize(s)
    }

    pub fn deserialize<'de, T: Named, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
        ByName::deserialize(d).map(|b| b.0)
    }

    pub mod option {
        use super::super::{ByName, Named};
        use serde::{Deserialize, Deserializer, Serialize, Serializer};

        pub fn serialize<T: Named, S: Serializer>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
            v.map(ByName).serialize(s)
        }

        pub fn deserialize<'de, T: Named, D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
            Option::<ByName<T>>::deserialize(d).map(|o| o.map(|b| b.0))
        }
    }

    pub mod vec {
        use super::super::{ByName, Named};
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<T: Named, S: Serializer>(v: &[T], s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(v.iter().map(|x| ByName(*x)))
        }

        pub fn deserialize<'de, T: Named, D: Deserializer<'de>>(d: D) -> Result<Vec<T>, D::Error> {
            Vec::<ByName<T>>::deserialize(d).map(|v| v.into_iter().map(|b| b.0).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Named;
    use serde::{Deserialize, Serialize};

    #[derive(Copy, Clone, Debug, PartialEq, Eq)]
    enum Light {
        Red,
        Amber,
        Green,
    }
    crate::names!(Light as "light", serde { Red => "red", Amber => "amber", Green => "green" });

    #[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
    enum Door {
        Open,
        Shut,
    }
    crate::names!(Door as "door state" { Open => "open", Shut => "shut" });

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Row {
        light: Light,
        #[serde(with = "super::by_name")]
        door: Door,
        #[serde(default, with = "super::by_name::option")]
        maybe: Option<Door>,
        #[serde(with = "super::by_name::vec")]
        doors: Vec<Door>,
        derived: Door,
    }

    #[test]
    fn a_table_gives_names_both_ways() {
        assert_eq!(Light::ALL, [Light::Red, Light::Amber, Light::Green]);
        assert_eq!(Light::NAMES, ["red", "amber", "green"]);
        for l in Light::ALL {
            assert_eq!(Light::from_name(l.name()), Some(l));
            assert_eq!(l.to_string(), l.name());
        }
        assert_eq!(Light::from_name("Red"), None, "exact by default");
        assert_eq!(<Light as Named>::from_name_ignore_case("Red"), Some(Light::Red));
        assert_eq!(Door::NAMES, ["open", "shut"]);
        assert_eq!(<Door as Named>::unknown("ajar"), "unknown door state `ajar` (open, shut)");
    }

    #[test]
    fn serde_by_name_only_where_asked() {
        let row = Row {
            light: Light::Amber,
            door: Door::Open,
            maybe: Some(Door::Shut),
            doors: vec![Door::Shut],
            derived: Door::Open,
        };
        let json = serde_json::to_string(&row).unwrap();
        assert_eq!(
            json, r#"{"light":"amber","door":"open","maybe":"shut","doors":["shut"],"derived":"Open"}"#,
            "`derived` keeps its derived serde"
        );
        assert_eq!(serde_json::from_str::<Row>(&json).unwrap(), row);
        let bad = json.replace(r#""light":"amber""#, r#""light":"blue""#);
        let e = serde_json::from_str::<Row>(&bad).unwrap_err().to_string();
        assert!(e.contains("unknown light `blue` (red, amber, green)"), "{e}");
        let ron_text = r#"(light: "red", door: "shut", doors: [], derived: Shut)"#;
        let r: Row = ron::from_str(ron_text).unwrap();
        assert_eq!(r.maybe, None);
        assert_eq!(r.door, Door::Shut);
    }
}

//! [`Name`]: a host's name as events carry it, shared rather than copied.
//! A host or session makes its name once; each of its events then holds
//! the same text (a reference count, no allocation or copy an event).

use serde::Serialize;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A shared, immutable name (a host's, or a session's peer's).
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(Arc<str>);

impl Name {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// This name if nothing else holds it, else a copy of its own (whose
    /// reference count no other thread changes).
    pub fn own(self) -> Name {
        if Arc::strong_count(&self.0) == 1 { self } else { Name::from(self.as_str()) }
    }
}

impl Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Name {
    fn from(s: &str) -> Self {
        Name(Arc::from(s))
    }
}

impl From<String> for Name {
    fn from(s: String) -> Self {
        Name(Arc::from(s))
    }
}

impl From<&String> for Name {
    fn from(s: &String) -> Self {
        Name(Arc::from(s.as_str()))
    }
}

impl From<&Name> for Name {
    fn from(s: &Name) -> Self {
        s.clone()
    }
}

impl From<Name> for String {
    fn from(n: Name) -> Self {
        n.0.to_string()
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Name> for str {
    fn eq(&self, other: &Name) -> bool {
        self == &*other.0
    }
}

impl PartialEq<Name> for &str {
    fn eq(&self, other: &Name) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<Name> for String {
    fn eq(&self, other: &Name) -> bool {
        **self == *other.0
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl Serialize for Name {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_of_its_own_is_copied_only_when_shared() {
        let alone = Name::from("dept");
        let at = alone.as_str().as_ptr();
        assert_eq!(alone.own().as_str().as_ptr(), at, "nothing else held it: no copy");
        let shared = Name::from("hub");
        let other = shared.clone();
        let own = shared.own();
        assert_eq!(own, other);
        assert_ne!(own.as_str().as_ptr(), other.as_str().as_ptr(), "held elsewhere: a copy");
    }

    #[test]
    fn a_name_is_its_text_everywhere() {
        let n = Name::from("dept");
        let again = n.clone();
        assert!(std::ptr::eq(n.as_str(), again.as_str()), "a clone shares the text");
        assert_eq!(n, "dept");
        assert_eq!("dept", n);
        assert_eq!(n, String::from("dept"));
        assert_ne!(n, "hub");
        assert_eq!(format!("[{n:>6}] {n:?}"), "[  dept] \"dept\"");
        assert_eq!(serde_json::to_string(&n).ok().as_deref(), Some("\"dept\""));
        assert_eq!(String::from(n), "dept");
    }
}

//! Placeholder: the Gafaelfawr stand-in (being written).

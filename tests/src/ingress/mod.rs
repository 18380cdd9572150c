//! Placeholder: nginx rendering of GafaelfawrIngresses (being written).

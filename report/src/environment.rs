//! The process environment as text, read the same way by the server and
//! `muster-check`: the caller passes the variables in (`std::env::vars_os`),
//! so this stays free of I/O.

use std::collections::HashMap;
use std::ffi::OsString;

/// The variables of `vars` that are UTF-8 text. One that is not is left out
/// — unless its name is one of `own`, the variables the program reads,
/// whose name is then the error. (`std::env::vars` would panic instead.)
pub fn utf8_variables<'a>(
    vars: impl IntoIterator<Item = (OsString, OsString)>,
    own: &[&'a str],
) -> Result<HashMap<String, String>, &'a str> {
    let mut text = HashMap::new();
    for (name, value) in vars {
        let Ok(name) = name.into_string() else {
            continue;
        };
        match value.into_string() {
            Ok(value) => {
                text.insert(name, value);
            }
            Err(_) => {
                if let Some(variable) = own.iter().find(|own| **own == name) {
                    return Err(variable);
                }
            }
        }
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use std::os::unix::ffi::OsStringExt as _;

    use super::*;

    fn var(name: &[u8], value: &[u8]) -> (OsString, OsString) {
        (
            OsString::from_vec(name.to_vec()),
            OsString::from_vec(value.to_vec()),
        )
    }

    #[test]
    fn text_is_kept_and_others_bytes_left_out() {
        let vars = [
            var(b"MUSTER_BIND", b"127.0.0.1:0"),
            var(b"SOMEONE_ELSES", b"\xff"),
            var(b"\xfe", b"x"),
        ];
        let text = utf8_variables(vars, &["MUSTER_BIND"]).unwrap();
        assert_eq!(text.len(), 1);
        assert_eq!(text["MUSTER_BIND"], "127.0.0.1:0");
    }

    #[test]
    fn an_own_variable_that_is_not_text_is_named() {
        let vars = [var(b"MUSTER_BIND", b"\xff")];
        assert_eq!(utf8_variables(vars, &["MUSTER_BIND"]), Err("MUSTER_BIND"));
    }
}

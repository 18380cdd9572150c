//! Muster's local stack: everything the tests and the README's run command
//! start on loopback — nginx configured the way ingress-nginx would be, a
//! Gafaelfawr stand-in, the Muster server, and headless Chromium — always
//! stopped afterwards; and the image's declared layout, which the image
//! and Dockerfile tests read.

pub mod argocd;
pub mod home_page;
pub mod http;
pub mod image_layout;
pub mod ingress;
pub mod logs;
pub mod monitor;
pub mod process;
pub mod quiet;
pub mod secrets;
pub mod served;
pub mod share;
pub mod slack;
pub mod stack;
pub mod standin;
pub mod tls;
pub mod webdriver;

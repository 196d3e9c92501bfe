//! Build script: when PyO3 links libpython (i.e. `cargo test`, not the
//! maturin extension-module build), embed an rpath to the interpreter's
//! library directory so test binaries start without LD_LIBRARY_PATH.

fn main() {
    pyo3_build_config::add_libpython_rpath_link_args();
}

//! How a suite names its tests, the same on every runtime: `tests!(a, b)` makes each async
//! fn of the suite a `#[test]` run by `crate::rt::block_on`; `threaded_tests!(c)` runs on
//! `crate::rt::block_on_threaded` (two worker threads where the runtime has them).

macro_rules! tests {
    ($($name:ident),* $(,)?) => {
        mod run {
            $(#[test]
            fn $name() {
                crate::rt::block_on(super::$name())
            })*
        }
    };
}

macro_rules! threaded_tests {
    ($($name:ident),* $(,)?) => {
        mod run_threaded {
            $(#[test]
            fn $name() {
                crate::rt::block_on_threaded(super::$name())
            })*
        }
    };
}

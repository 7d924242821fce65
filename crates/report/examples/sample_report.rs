//! Prints the sample ten-finding report in English and Chinese
//! (`cargo run -p report --example sample_report [-- normal|all]`).

use report::assemble::{ReportInput, assemble};
use report::render::{text::to_text, words};
use report::{Lang, sample};

fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    let doc = match which.as_str() {
        "normal" => sample::normal_exam(),
        "all" => sample::all_codes(),
        _ => sample::ten_findings(),
    };
    let report = assemble(&ReportInput::new(&doc));
    for lang in Lang::ALL {
        println!("{}", to_text(&words(&report, lang)));
    }
}

//! The `report-pdf` crate: `report.pdf` of the airad report, laid out by
//! typst (as a library) from the same [`Rendered`] reports as the text and
//! HTML outputs. A leaf crate, so typst's heavy build stays out of every
//! other crate but the `airad` binary.
//!
//! Fonts are embedded (subset) in the PDF: typst-assets' Libertinus Serif
//! for Latin text, and Noto Sans CJK SC from Debian's `fonts-noto-cjk`
//! (SIL OFL, embeddable) for Chinese, searched at [`CJK_FONT_PATHS`] or
//! `$AIRAD_CJK_FONT`. Without a CJK font the PDF holds the English report
//! and says that the Chinese one was left out.
//!
//! Layout: the English report (status banner, header, sections, numbered
//! Impression, communication and sign-off fields), its key images with
//! captions, then the Chinese report on new pages. Every page repeats the
//! status ("PRELIMINARY, NOT SIGNED" until signed) in its header.

mod markup;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use report::Rendered;
use report::outputs::PdfRenderer;
use report::render::html::KeyImage;
use typst::diag::{FileError, FileResult};
use typst::foundations::{Bytes, Datetime, Duration};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

/// Where Debian puts the Noto Sans CJK font collection.
pub const CJK_FONT_PATHS: [&str; 4] = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
];

/// Errors making the PDF.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// typst refused the generated document (a bug of this crate).
    #[error("typst layout failed: {0}")]
    Layout(String),
    /// PDF export failed.
    #[error("PDF export failed: {0}")]
    Export(String),
}

/// The fonts: typst-assets' and, when found, the CJK collection.
struct Fonts {
    fonts: Vec<Font>,
    book: LazyHash<FontBook>,
    cjk: Option<PathBuf>,
}

fn cjk_path() -> Option<PathBuf> {
    std::env::var_os("AIRAD_CJK_FONT")
        .map(PathBuf::from)
        .into_iter()
        .chain(CJK_FONT_PATHS.iter().map(PathBuf::from))
        .find(|p| p.is_file())
}

fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        let mut fonts: Vec<Font> = typst_assets::fonts()
            .flat_map(|data| Font::iter(Bytes::new(data)))
            .collect();
        let cjk = cjk_path();
        if let Some(data) = cjk.as_ref().and_then(|p| std::fs::read(p).ok()) {
            fonts.extend(Font::iter(Bytes::new(data)));
        }
        let book = LazyHash::new(FontBook::from_fonts(&fonts));
        Fonts { fonts, book, cjk }
    })
}

/// The CJK font file in use, if any.
pub fn cjk_font() -> Option<&'static std::path::Path> {
    fonts().cjk.as_deref()
}

/// A typst world holding one generated source and the key images.
struct ReportWorld {
    library: LazyHash<Library>,
    main: Source,
    files: HashMap<FileId, Bytes>,
}

fn file_id(path: &str) -> Option<FileId> {
    let vpath = VirtualPath::new(path).ok()?;
    Some(RootedPath::new(VirtualRoot::Project, vpath).intern())
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &fonts().book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::NotSource)
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files
            .get(&id)
            .cloned()
            .ok_or_else(|| FileError::NotFound(PathBuf::from(format!("{id:?}"))))
    }

    fn font(&self, index: usize) -> Option<Font> {
        fonts().fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<Duration>) -> Option<Datetime> {
        let days = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_secs()
            / 86_400;
        let (y, m, d) = markup::civil(days as i64);
        Datetime::from_ymd(y as i32, m as u8, d as u8)
    }
}

/// Lays out and exports the PDF of `reports` (English first) with `images`.
pub fn render_pdf(reports: &[Rendered], images: &[KeyImage]) -> Result<Vec<u8>, PdfError> {
    let have_cjk = cjk_font().is_some();
    let (source_text, image_files) = markup::document(reports, images, have_cjk);
    let main_id = file_id("/main.typ").ok_or_else(|| PdfError::Layout("bad main path".into()))?;
    let mut files = HashMap::new();
    for (name, png) in image_files {
        if let Some(id) = file_id(&name) {
            files.insert(id, Bytes::new(png));
        }
    }
    let world = ReportWorld {
        library: LazyHash::new(Library::default()),
        main: Source::new(main_id, source_text),
        files,
    };
    let document = typst::compile::<PagedDocument>(&world)
        .output
        .map_err(|errors| {
            PdfError::Layout(
                errors
                    .iter()
                    .map(|e| e.message.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
    typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default()).map_err(|errors| {
        PdfError::Export(
            errors
                .iter()
                .map(|e| e.message.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        )
    })
}

/// The [`PdfRenderer`] the report crate calls.
#[derive(Debug, Clone, Copy, Default)]
pub struct TypstPdf;

impl PdfRenderer for TypstPdf {
    fn render_pdf(&self, reports: &[Rendered], images: &[KeyImage]) -> Result<Vec<u8>, String> {
        render_pdf(reports, images).map_err(|e| e.to_string())
    }
}

//! Every threshold the anatomy units use, in one table, each with its
//! source or the reason for its value. HU values assume a calibrated CT
//! (water 0, air -1000).

/// Body: voxels above this are tissue rather than air, foam pads or
/// clothing (air -1000; fat -100; lung -850 excluded until holes are
/// filled). Convention in body segmentation, e.g. TotalSegmentator's
/// preprocessing uses -500.
pub const BODY_MIN_HU: i16 = -500;

/// Body: opening radius that detaches the scanner table and thin
/// blankets from the skin (table shells are 2-10 mm thick).
pub const BODY_OPEN_MM: f64 = 3.0;

/// Body: a component this large (mL) beside the trunk is an arm.
pub const ARM_MIN_ML: f64 = 150.0;

/// Lungs: aerated lung is below this (normal parenchyma -900..-700 HU;
/// Hu et al., IEEE TMI 2001 pick the threshold automatically near -500).
pub const LUNG_MAX_HU: i16 = -400;

/// Lungs: each lung holds at least this much air, mL (a collapsed lung
/// below this is reported absent, not guessed).
pub const LUNG_MIN_ML: f64 = 100.0;

/// Lungs: closing radius that brings vessels and small juxtapleural
/// nodules inside the lung envelope without bridging the mediastinum.
pub const LUNG_CLOSE_MM: f64 = 4.0;

/// Airways: the trachea's lumen is below this (air -1000; partial volume
/// with the wall raises small airways, hence region growing stops early).
pub const TRACHEA_MAX_HU: i16 = -900;

/// Airways: cross-section area range of a trachea on an axial slice, mm^2
/// (adult tracheal diameter 13-25 mm: Breatnach et al., AJR 1984).
pub const TRACHEA_AREA_MM2: (f64, f64) = (100.0, 600.0);

/// Lungs: a component with more than this share of its voxels on each
/// side of the midline holds both lungs and must be parted.
pub const LUNG_SPLIT_SHARE: f64 = 0.15;

/// Lungs: erosion radii tried, in order, to part joined lungs (the
/// anterior junction line is 1-3 mm; a main bronchus lumen 10-16 mm).
pub const LUNG_SPLIT_RADII_MM: [f64; 5] = [2.0, 4.0, 6.0, 8.0, 10.0];

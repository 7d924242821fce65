//! Every threshold the finding units use, in one table, each with its
//! source or the reason for its value ("convention" marks a common
//! practice rather than a guideline; "tuned" marks a detector parameter
//! set on phantoms and checked on real scans). HU values assume a
//! calibrated CT (water 0, air -1000).

// ---------------------------------------------------------------------
// Pulmonary nodules (F01-F04): detection
// ---------------------------------------------------------------------

/// Scales (Gaussian sigma, mm) of the Hessian blob filter. A sphere of
/// radius `r` answers best near `sigma = r / sqrt(3)` (Lindeberg, IJCV
/// 1998; Li, Sone & Doi, Med Phys 2003 "dot" filter): 1.2 mm finds 4 mm
/// nodules, 13.6 mm masses of about 50 mm (larger masses answer at their
/// lobes and are grown whole). Steps of sqrt(2).
pub const BLOB_SIGMAS_MM: [f64; 8] = [1.2, 1.7, 2.4, 3.4, 4.8, 6.8, 9.6, 13.6];

/// The blob filter at scale `sigma` runs on a grid of about
/// `sigma * BLOB_GRID_PER_SIGMA` mm (never finer than the scan): two
/// samples per sigma keep the second derivatives accurate (tuned).
pub const BLOB_GRID_PER_SIGMA: f64 = 0.5;

/// Smallest scale-normalised dot response (HU) of a seed. A Gaussian
/// blob of contrast C answers with about 0.19 C at its best scale, so
/// 18 HU keeps ground-glass nodules of ~100 HU contrast (tuned).
pub const BLOB_MIN_RESPONSE_HU: f32 = 18.0;

/// Smallest contrast (HU) of a seed's smoothed centre over the lung
/// background (faint ground glass is ~100 HU over lung; convention).
pub const SEED_MIN_CONTRAST_HU: f32 = 60.0;

/// Mass seeds: grid (mm) and opening radius (mm) of the dense-tissue
/// search for masses (a 6 mm ball removes vessels up to 12 mm across and
/// keeps lesions of 15 mm and more; tuned).
pub const MASS_SEED_GRID_MM: f64 = 2.0;

/// See [`MASS_SEED_GRID_MM`].
pub const MASS_SEED_OPEN_MM: f64 = 6.0;

/// At most this many seeds are segmented per scan, strongest first
/// (time bound; tuned).
pub const MAX_SEEDS: usize = 600;

/// Lung search region: each lung mask is closed with a ball of this
/// radius (mm) so that dense lesions at the pleura, which an aerated-lung
/// mask can leave out, are searched too (convention; cf. the rolling-ball
/// border correction of Armato et al., Med Phys 2001).
pub const SEARCH_CLOSE_MM: f64 = 6.0;

/// Parenchyma used for the local lung background is below this (normal
/// lung -900..-700 HU; convention).
pub const PARENCHYMA_MAX_HU: f32 = -600.0;

/// Lung background used when a neighbourhood has too little parenchyma
/// (normal inspiratory lung attenuation about -850 HU: Hu et al., IEEE TMI
/// 2001).
pub const DEFAULT_LUNG_HU: f32 = -850.0;

// ---------------------------------------------------------------------
// Pulmonary nodules: segmentation and the vessel test
// ---------------------------------------------------------------------

/// Segmentation threshold: this fraction of the way from the local lung
/// background to the lesion's level (half maximum: the partial-volume
/// edge of a blurred object lies at its half-maximum contour; the usual
/// basis of nodule volumetry, e.g. Kostis et al., IEEE TMI 2003).
pub const SEGMENT_LEVEL_FRACTION: f32 = 0.5;

/// Lesion level: this percentile of the lightly smoothed HU inside the
/// inner ball of a seed (a low percentile takes the ground-glass level of
/// a part-solid nodule rather than its solid core; tuned).
pub const LESION_LEVEL_PERCENTILE: f64 = 0.3;

/// In-plane Gaussian sigma (mm) of the light smoothing used for
/// segmentation (noise 20-40 HU per voxel; convention).
pub const SEGMENT_SMOOTH_MM: f64 = 0.6;

/// A seed's region grows at most this many estimated radii from the
/// seed (room for elongated and lobulated lesions; tuned).
pub const GROW_RADII: f64 = 3.0;

/// ... and at least this far, mm, whatever the seed's scale (tuned).
pub const GROW_MIN_MM: f64 = 10.0;

/// ... and never farther than this, mm (masses of up to ~90 mm).
pub const GROW_MAX_MM: f64 = 48.0;

/// Vessels attached to a lesion are cut off by an opening with a ball of
/// this fraction of the lesion's inscribed radius (a ball of radius R is
/// unchanged by any opening up to R; vessels next to nodules are thinner
/// than the nodule; tuned).
pub const OPEN_RADIUS_FRACTION: f64 = 0.6;

/// A segmented candidate longer than this ratio of its first to third
/// principal axis is a vessel segment or a bifurcation, not a nodule
/// (nodules: axis ratio mostly under 2, Diederich et al.; vessels run
/// through; tuned).
pub const MAX_ELONGATION: f64 = 2.6;

/// Fill: a lesion's volume as a share of the ellipsoid of its long axis
/// and two short axes. Nodules are compact (an ellipsoid with a third axis
/// of 0.6 of the second fills 0.6); a branching vessel tree cut out of a
/// neighbourhood fills 0.1-0.25 (tuned).
pub const MIN_FILL: f64 = 0.35;

/// Vessels leaving a candidate: the summed cross-sections of the dense
/// structures crossing a thin shell around it, as a share of the
/// candidate's own cross-section, above which it is a vessel junction
/// whatever the number of branches (tuned).
pub const MAX_EXIT_SHARE: f64 = 2.0;

/// A structure leaving a candidate counts as a branch from this share of
/// the candidate's cross-section (tuned).
pub const MIN_EXIT_SHARE: f64 = 0.12;

/// Hilar vessels: a candidate under [`MASS_MIN_MM`] whose contact with
/// dense tissue at the medial (mediastinal) edge of the lung exceeds this
/// share of its own cross-section is the cut end of the hilar vessels
/// that the lung mask holds (tuned; a nodule against the mediastinum is
/// missed by this rule and left to the reader).
pub const MAX_MEDIAL_CONTACT_SHARE: f64 = 0.25;

/// Width of that shell, mm.
pub const EXIT_SHELL_MM: f64 = 2.0;

// ---------------------------------------------------------------------
// Pulmonary nodules: typing, size, calcification
// ---------------------------------------------------------------------

/// Solid component: voxels above this HU (the conventional boundary
/// between ground glass, about -750..-300 HU, and solid tissue; e.g.
/// Lee et al., Radiology 2013; convention).
pub const SOLID_MIN_HU: f32 = -300.0;

/// A nodule whose solid component has at least this share of the
/// nodule's mean diameter is solid (Lung-RADS v2022 treats part-solid
/// nodules by their solid component; convention).
pub const SOLID_DIAMETER_SHARE: f64 = 0.75;

/// A solid component under this mean diameter (mm) makes a pure
/// ground-glass nodule (Lung-RADS v2022 measures solid components from
/// about 1-2 mm; convention).
pub const GGN_MAX_SOLID_MM: f64 = 2.0;

/// Nodule versus mass: a lung lesion over 30 mm is a mass (Fleischner
/// Society glossary, Hansell et al., Radiology 2008; FINDINGS.md F03).
pub const MASS_MIN_MM: f64 = 30.0;

/// A seed at scale sigma stands for a lesion of about this many sigmas
/// in radius (a ball of radius R has the per-axis variance of a Gaussian
/// of width R / sqrt(5), whose normalised dot response peaks at
/// sigma = sqrt(2/3) of that width: R = 2.74 sigma; a little less for
/// the discrete scales; tuned).
pub const RADIUS_PER_SIGMA: f64 = 2.5;

/// Subsolid nodules (ground-glass or part-solid) under this mean diameter
/// (mm) are not reported (Fleischner 2017: no routine follow-up for
/// subsolid nodules under 6 mm;
/// Lung-RADS v2022 category 2 at any size under 30 mm; faint small blobs
/// are mostly partial-volumed vessel junctions).
pub const MIN_GGN_MM: f64 = 6.0;

/// Smallest mean diameter (mm) reported (micronodules under 4 mm are
/// below Lung-RADS v2022's size steps and are not reported; convention).
pub const MIN_REPORT_MM: f64 = 4.0;

/// Calcification: voxels above this HU are calcified (benign
/// calcification is well above 200 HU; Siegelman et al., Radiology 1986
/// used 164-200 HU; convention).
pub const CALCIFIED_HU: f32 = 200.0;

/// A nodule with at least this share of its voxels calcified is
/// completely (diffusely) calcified, a benign pattern (Lung-RADS v2022
/// category 1; Fleischner glossary).
pub const CALCIFIED_COMPLETE_SHARE: f64 = 0.5;

/// Central calcification: calcified voxels at least this share of the
/// nodule whose centroid lies within [`CALCIFIED_CENTRAL_RADII`] of the
/// nodule's centre (central and laminated patterns are benign).
pub const CALCIFIED_CENTRAL_SHARE: f64 = 0.1;

/// See [`CALCIFIED_CENTRAL_SHARE`]: share of the nodule's radius.
pub const CALCIFIED_CENTRAL_RADII: f64 = 0.3;

/// A candidate whose voxels are more than this share inside the
/// search-region closing but outside the lung mask lies in the chest wall
/// or mediastinum, not in the lung (tuned).
pub const MAX_OUTSIDE_LUNG_SHARE: f64 = 0.3;

// ---------------------------------------------------------------------
// Slice thickness limits and guidelines
// ---------------------------------------------------------------------

/// Lung-RADS v2022 applies to screening low-dose CT with slices of this
/// thickness or thinner (ACR Lung-RADS v2022; FINDINGS.md).
pub const LUNG_RADS_MAX_SLICE_MM: f64 = 2.5;

/// On slices thicker than [`LUNG_RADS_MAX_SLICE_MM`], nodules under this
/// mean diameter are "limited" (FINDINGS.md: ~6 mm).
pub const THICK_MIN_NODULE_MM: f64 = 6.0;

/// On thick slices, solid/ground-glass typing under this size is
/// "limited" (FINDINGS.md: ~10 mm).
pub const THICK_MIN_TYPING_MM: f64 = 10.0;

/// Lung-RADS v2022 solid nodule size steps, mm (baseline): <6 mm 2,
/// 6-<8 mm 3, 8-<15 mm 4A, >=15 mm 4B.
pub const LUNG_RADS_SOLID_MM: [f64; 3] = [6.0, 8.0, 15.0];

/// Lung-RADS v2022: juxtapleural or perifissural smooth solid nodules
/// under this mean diameter are category 2.
pub const LUNG_RADS_PERIFISSURAL_MM: f64 = 10.0;

/// Lung-RADS v2022 ground-glass nodules: <30 mm 2, >=30 mm 3.
pub const LUNG_RADS_GGN_MM: f64 = 30.0;

/// Lung-RADS v2022 part-solid nodules: total <6 mm 2; otherwise by the
/// solid component: <6 mm 3, 6-<8 mm 4A, >=8 mm 4B.
pub const LUNG_RADS_PART_SOLID_MM: [f64; 2] = [6.0, 8.0];

/// Fleischner 2017 solid nodule size steps, mm: <6, 6-8, >8 (MacMahon
/// et al., Radiology 2017), on the mean diameter rounded to 1 mm.
pub const FLEISCHNER_SOLID_MM: [f64; 2] = [6.0, 8.0];

/// Fleischner 2017 subsolid nodules: <6 mm no routine follow-up.
pub const FLEISCHNER_SUBSOLID_MM: f64 = 6.0;

/// Fleischner 2017 applies from this age, years.
pub const FLEISCHNER_MIN_AGE: f64 = 35.0;

/// Urgency: nodules from this mean diameter (mm) are tier 3 (suspicious:
/// Lung-RADS 4B size; ACR actionable findings), from
/// [`ROUTINE_MIN_MM`] routine follow-up.
pub const TIER3_MIN_MM: f64 = 15.0;

/// See [`TIER3_MIN_MM`].
pub const ROUTINE_MIN_MM: f64 = 6.0;

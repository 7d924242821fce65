//! Every threshold the finding units use, in one table, each with its
//! source or the reason for its value ("convention" marks a common
//! practice rather than a guideline; "tuned" marks a detector parameter
//! set on phantoms and checked on real scans). HU values assume a
//! calibrated CT (water 0, air -1000).

// ---------------------------------------------------------------------
// Heart size (F17)
// ---------------------------------------------------------------------

/// Axial cardiothoracic ratio above this: cardiomegaly (FINDINGS.md F17,
/// the radiograph's 0.5 carried to axial CT by convention).
pub const CTR_CUTOFF: f64 = 0.5;

/// Opening radius of the heart's outline before its width is read, mm:
/// pulmonary veins entering the left atrium (10-15 mm across) and vessel
/// stumps are cut off, the heart (100-170 mm across) keeps its width
/// (tuned: phantom ratios read up to 0.047 high without it).
pub const CTR_OPEN_MM: f64 = 6.0;

/// Lungs narrower than this across the heart's widest slice, mm, give no
/// thoracic diameter (an adult thorax is 220-330 mm inside; tuned).
pub const CTR_MIN_THORAX_MM: f64 = 150.0;

/// Lungs at the heart's widest slice narrower than this share of their
/// widest extent make the ratio "limited" (effusion or collapse pushing
/// a lung off the wall; normal phantoms and scans keep about
/// 0.9-1.0 there; tuned).
pub const CTR_MIN_LUNG_SHARE: f64 = 0.85;

/// Half height of the slab around the heart's widest slice on which the
/// costal pleura is modelled for the thoracic diameter, mm (the wall
/// model bridges rib gaps over 30 mm of height and needs slices where
/// the lung meets the wall to place the pleura inside the ribs).
pub const CTR_WALL_SLAB_MM: f64 = 45.0;

/// The thoracic diameter counts as taken from the rib cage, not the
/// lungs, when the costal pleura lies this much farther apart than the
/// lungs reach, mm (fluid between lung and wall). Measured: 0-3 mm on
/// the 20 phantoms of the 2026 suite, 5.6 mm on real A0001 and 3.4 mm on
/// A0002 (5 mm slices); 37 mm beside a 780 ml effusion.
pub const CTR_WALL_BEYOND_MM: f64 = 8.0;

/// In the lower half of the heart, a slice wider than the slice above by
/// this share and by [`CTR_SPREAD_MM`] is where the heart's outline left
/// the heart for the liver dome beneath the right lung: the heart narrows
/// towards the diaphragm (tuned: on real scan A0002, 8 mm slices, the
/// outline reaches the liver dome on its third-lowest slice and widens
/// there by 11 %, 14 mm; phantom hearts at 0.625-5 mm never widen so).
pub const CTR_SPREAD_SHARE: f64 = 0.10;

/// See [`CTR_SPREAD_SHARE`], mm.
pub const CTR_SPREAD_MM: f64 = 10.0;

// ---------------------------------------------------------------------
// Pericardial effusion (F18)
// ---------------------------------------------------------------------

/// Smoothings tried, in order, before fluid is told from the heart
/// behind it, mm (Gaussian sigma in-plane): the first that brings the
/// noise in the heart's interior to [`PERICARDIAL_NOISE_HU`] is used, so
/// that a quiet scan keeps sharp edges and a noisy one is readable (a
/// 5 mm layer keeps a plateau at 2 mm; tuned).
pub const PERICARDIAL_SMOOTH_MM: [f64; 2] = [1.0, 1.5];

/// Noise left after smoothing that lets 15-20 HU of fluid-heart contrast
/// be read, HU (robust SD in the heart's interior; tuned).
pub const PERICARDIAL_NOISE_HU: f64 = 6.0;

/// Fluid reads at least this far below the heart, HU (transudate 0-20
/// HU against blood and myocardium at 35-50 HU; a run nearer the heart's
/// value is noise at its edge; tuned).
pub const PERICARDIAL_CONTRAST_HU: f32 = 14.0;

/// Fluid is looked for from the heart's bottom up to this share of its
/// height: around the ventricles, where effusions gather; above are the
/// atria and vessel roots with the pericardial recesses and thin fat
/// planes between the vessels that read like fluid. The layer is grown
/// from there to its full extent (tuned).
pub const PERICARDIAL_HEIGHT_SHARE: f64 = 0.7;

/// The layer's extent is grown from the fluid found on the profiles
/// this far at most, mm (the thin parts of the layer the profiles do not
/// keep, not the partial-volume rim all round the heart; tuned).
pub const PERICARDIAL_GROW_MM: f64 = 25.0;

/// A fluid layer smaller than this is specks, ml (the physiological 15-50
/// ml lies as a film under 4 mm, which the profiles do not keep; tuned).
pub const PERICARDIAL_MIN_ML: f64 = 8.0;

/// Smoothed attenuation of pericardial fluid, HU: water to exudate, below
/// blood and myocardium (35-50 HU non-contrast) and above fat. The band's
/// top is the half level below the heart's own attenuation (see
/// [`PERICARDIAL_HEART_MARGIN_HU`]) kept in this range; fluid denser than
/// that (haemopericardium) is as dense as the heart and is not told from
/// it this way (Wang et al., RadioGraphics 2003; Restrepo et al.,
/// RadioGraphics 2007; range tuned).
pub const PERICARDIAL_FLUID_HU: (f32, f32) = (10.0, 32.0);

/// A run whose median is below this is fat blurred with the heart (thin
/// epicardial fat), not fluid, HU (transudate 0-20 HU; the blur of 1-2 mm
/// of fat with myocardium reads -30 to 0; tuned).
pub const PERICARDIAL_FLUID_MIN_HU: f32 = -3.0;

/// The fluid band's top lies this far below the heart's attenuation, HU
/// (about half the 30-40 HU between blood and transudate; tuned).
pub const PERICARDIAL_HEART_MARGIN_HU: f32 = 15.0;

/// A pericardial layer thinner than this is normal pericardium with its
/// physiological fluid (15-50 ml): the detection opens the fluid by half
/// of it, and a thinner maximal thickness is not reported, mm (normal
/// pericardium 1-2 mm, abnormal above 4 mm: Wang et al., RadioGraphics
/// 2003).
pub const PERICARDIAL_MIN_MM: f64 = 4.5;

/// Largest thickness grades, mm (FINDINGS.md F18, the echocardiographic
/// convention: small under 10, moderate 10-20, large over 20).
pub const PERICARDIAL_GRADE_MM: [f64; 2] = [10.0, 20.0];

/// Fluid denser than this suggests haemopericardium, HU (FINDINGS.md F18).
pub const HAEMOPERICARDIUM_HU: f64 = 30.0;

/// Fat below this, HU, bounds the fluid's extent on its fat side at the
/// half level between the two (adipose tissue -190..-30 HU: Yoshizumi
/// et al., Radiology 1999; a typical -100).
pub const PERICARDIAL_FAT_HU: f32 = -100.0;

// ---------------------------------------------------------------------
// Mitral annular calcification (F39)
// ---------------------------------------------------------------------

/// MAC lies in the left heart: heart-frame x (half extents of the heart
/// mask's box from its centroid, towards the patient's left) above this
/// (the annulus sits near the heart's middle in x; tuned).
pub const MAC_MIN_LEFT: f64 = -0.25;

/// ...and posterior: heart-frame y above this (the left atrioventricular
/// junction lies behind the heart's centre; tuned).
pub const MAC_MIN_POSTERIOR: f64 = -0.2;

/// MAC is clear of the aorta mask by this much, mm: calcium in the aortic
/// root is the aortic valve's (F20); the anterior annulus itself meets
/// the root (aorto-mitral continuity: a phantom's MAC came within 5 mm).
pub const MAC_AORTA_CLEAR_MM: f64 = 2.0;

/// A MAC component's peak reaches at least this, HU (dense calcium; noise
/// in the blood does not).
pub const MAC_MIN_PEAK_HU: f32 = 200.0;

/// Radius of the ring MAC is measured on, mm (the mitral annulus is
/// 26-34 mm across in adults: Ormiston et al., Circulation 1981; wide
/// bounds for dilated hearts and the fit's error).
pub const MAC_RING_RADIUS_MM: [f64; 2] = [8.0, 24.0];

/// MAC is extensive from this calcified arc of the annulus, degrees
/// (half its circumference: FINDINGS.md F39 "present / extensive", the
/// usual semi-quantitative reading of MAC severity by circumferential
/// extent).
pub const MAC_EXTENSIVE_ARC_DEG: f64 = 180.0;

// ---------------------------------------------------------------------
// Aortic valve calcification (F20)
// ---------------------------------------------------------------------

/// Agatston score of the aortic valve above which severe aortic stenosis
/// is likely, AU: women, men (gated CT; Clavel et al., JACC 2013;
/// Pawade et al., Circ Cardiovasc Imaging 2018; the 2020 ACC/AHA valve
/// guideline; FINDINGS.md F20).
pub const AVC_SEVERE_AU: [f64; 2] = [1274.0, 2065.0];

/// The valve zone in the heart's frame (half extents of the heart mask's
/// box from its centroid; x to the patient's left, y posterior, z up):
/// the aortic root is central, a little right of and in front of the
/// heart's centre (between the right ventricular outflow in front, the
/// left atrium behind and the right atrium to its right). Tuned on the
/// phantoms, whose valve calcium lay at x -0.14 to -0.08, y -0.10 to
/// 0.17, and the mitral annular calcium at x 0.2-0.24, y 0.33-0.58.
pub const AVC_FRAME_X: [f64; 2] = [-0.45, 0.25];

/// See [`AVC_FRAME_X`]: y.
pub const AVC_FRAME_Y: [f64; 2] = [-0.45, 0.25];

/// See [`AVC_FRAME_X`]: z, the heart's base: the valve lies in the top of
/// the heart's outline or just above it, in the root (phantom valves at
/// z 0.81-0.93); the mitral annulus lies at mid-height (phantom MAC at
/// z -0.12 to 0.11) and the ascending aorta's wall calcium (F21) above
/// the root (tuned: a phantom valve under a short heart mask lay at
/// 1.22).
pub const AVC_FRAME_Z: [f64; 2] = [0.5, 1.35];

/// A valve component's peak reaches at least this, HU (dense calcium;
/// noise in the blood does not; as for MAC).
pub const AVC_MIN_PEAK_HU: f32 = 200.0;

// ---------------------------------------------------------------------
// Aortic wall calcification (F21)
// ---------------------------------------------------------------------

/// The wall band reaches this far outside the aorta mask's outline, mm
/// (the aortic wall is 1.5-2.5 mm thick; a mask drawn on the lumen-wall
/// blob of a non-contrast scan can fall a voxel short of it).
pub const AORTIC_CA_OUTER_MM: f64 = 3.0;

/// ...and this far inside it, mm: intimal plaque lies at the wall's inner
/// surface; calcium deeper in the lumen is the aortic valve's (F20).
pub const AORTIC_CA_INNER_MM: f64 = 5.0;

/// Calcium components are formed this far around the band too, mm, so
/// that one continuing into bone, cartilage or a node is seen whole.
pub const AORTIC_CA_AROUND_MM: f64 = 12.0;

/// A component counts as wall calcium when at least this share of its
/// voxels lies in the wall band (tuned).
pub const AORTIC_CA_WALL_SHARE: f64 = 0.5;

/// Calcium in the aortic valve's zone ([`AVC_FRAME_X`]...) lying, by its
/// voxels' median, deeper than this inside the aorta mask's outline is in
/// the root's lumen, the valve's (F20), not the wall's, mm: intimal
/// plaque lies in the 2-3 mm wall, the valve's nodules inside it (tuned:
/// real A0001's root wall calcium lay at the outline).
pub const AORTIC_CA_VALVE_DEPTH_MM: f64 = 2.5;

/// Noise guard: a component's peak stands this many noise SDs (measured
/// inside the aorta) above the blood, as well as at 130 HU (tuned: noise
/// SDs of 8-40 HU put the guard at 80-240 HU).
pub const AORTIC_CA_NOISE_K: f32 = 6.0;

/// In-plane Gaussian smoothing before the 130 HU threshold, mm (sigma;
/// tuned: a sharp-kernel 5 mm scan's blood noise otherwise forms
/// chains of 130 HU voxels).
pub const AORTIC_CA_SMOOTH_MM: f64 = 0.8;

/// A plaque's smoothed peak reaches at least this, HU: single voxels of
/// noise and edge ringing reach 130-190 on a sharp-kernel 5 mm scan (real
/// A0001); drawn plaques read 250 and more (tuned).
pub const AORTIC_CA_MIN_PEAK_HU: f32 = 200.0;

/// Within this of air in-plane, mm, a voxel below [`AORTIC_CA_EDGE_HU`]
/// is a sharp kernel's overshoot at the tissue-air edge, not calcium
/// (real A0001: 130-190 HU along the aorta's border with the lung).
pub const AORTIC_CA_EDGE_MM: f64 = 2.0;

/// See [`AORTIC_CA_EDGE_MM`], HU (smoothed; the overshoot of a 900 HU
/// tissue-air step stays under a third of it above soft tissue).
pub const AORTIC_CA_EDGE_HU: f32 = 300.0;

/// Shell around a component inspected for aerated lung, mm.
pub const AORTIC_CA_SHELL_MM: f64 = 2.5;

/// A wall plaque has at most this share of aerated lung (below
/// [`CAC_AIR_MAX_HU`]) in its shell (tuned).
pub const AORTIC_CA_MAX_AIR_SHARE: f64 = 0.25;

/// Blood reading above this is contrast-enhanced, HU (unenhanced blood
/// 30-55 HU; an enhanced aorta is 150 HU and more).
pub const AORTIC_CA_CONTRAST_HU: f32 = 90.0;

/// Calcium volume grade cut-offs, mm^3: mild below the first, moderate
/// up to the second, severe above (FINDINGS.md F21 "mild / moderate /
/// severe (convention)": this project's convention, on the spread of
/// thoracic aortic calcium volumes in population CT, where a few hundred
/// mm^3 is common in the elderly; the phantom uses the same bounds).
pub const AORTIC_CA_GRADE_MM3: [f64; 2] = [100.0, 500.0];

/// Slices thicker than this make the calcium volume "limited", mm (the
/// 3 mm of calcium scoring).
pub const AORTIC_CA_MAX_SLICE_MM: f64 = 3.0;

// ---------------------------------------------------------------------
// Thoracic aortic size (F22)
// ---------------------------------------------------------------------

/// Ascending aorta (and arch, by convention) outer diameter: dilated from
/// the first, aneurysm from the second, mm (FINDINGS.md F22, convention;
/// the normal range depends on sex and body size).
pub const AORTA_ASCENDING_MM: [f64; 2] = [40.0, 50.0];

/// Descending thoracic aorta: dilated, aneurysm, mm (FINDINGS.md F22).
pub const AORTA_DESCENDING_MM: [f64; 2] = [30.0, 40.0];

/// A ray leaves the aorta where its smoothed profile falls this far below
/// the aortic content, HU (blood 30-50 HU unenhanced; fat -100, lung
/// -850; a drop of 60 HU is past the noise of a smoothed profile; tuned).
pub const AORTA_EDGE_DROP_HU: f64 = 60.0;

/// Least contrast between the aortic content and what lies outside for a
/// wall edge, HU: fat is 130 HU below blood, lung more; soft-tissue
/// neighbours (oesophagus, pulmonary artery, vertebra's muscle) are not
/// an edge (tuned).
pub const AORTA_EDGE_MIN_CONTRAST_HU: f64 = 90.0;

/// Most contrast counted for a wall edge, HU: blood (30-50 HU) against
/// mediastinal fat (-80 to -120 HU). Where lung lies a few millimetres
/// beyond the fat, the edge is still placed at the wall-fat half level,
/// not pulled out to the fat-lung edge (tuned: normal phantom aortas read
/// 1-4 mm wide without it).
pub const AORTA_EDGE_MAX_CONTRAST_HU: f64 = 150.0;

/// Least wall edges for a measured cross-section (of 36 rays; the
/// descending aorta touches the spine and oesophagus over about a third
/// of its turn; tuned).
pub const AORTA_MIN_EDGES: usize = 12;

/// Wall edges further than this share from the median edge distance of a
/// cross-section are left out before the circle fit (rays through a
/// soft-tissue neighbour find the neighbour's far side; tuned).
pub const AORTA_EDGE_BAND: f64 = 0.25;

/// Edges within this distance of the first fitted circle are always kept,
/// mm (a voxel or two; tuned).
pub const AORTA_FIT_MIN_RESIDUAL_MM: f64 = 2.0;

/// Cross-sections narrower than this are not the thoracic aorta of an
/// adult (a centreline run up a supra-aortic branch), mm (adult thoracic
/// aorta 20-37 mm; convention).
pub const AORTA_MIN_DIAMETER_MM: f64 = 18.0;

/// Slices thicker than this make the arch "limited", mm (its
/// cross-sections stand across the slices; the 3 mm of FINDINGS.md's
/// thin-slice rules).
pub const AORTA_ARCH_MAX_SLICE_MM: f64 = 3.0;

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

/// Fill floor of a mass (mean diameter over [`MASS_MIN_MM`]): spiculated
/// and perihilar cancers with strands fill 0.3-0.35 (Lung-PET-CT-Dx
/// A0002: 0.32); a vessel tree of that size already fails the vessel
/// test by running out of its growth ball, so only the tree fill of
/// [`MIN_FILL`]'s range (up to 0.25) is kept out (convention).
pub const MASS_MIN_FILL: f64 = 0.25;

/// A candidate at least this wide (equivalent-sphere diameter, mm) is a
/// piece of a mass: candidates touching it are the same lesion
/// (convention: two thirds of the 30 mm mass threshold).
pub const MASS_PIECE_MIN_MM: f64 = 20.0;

/// Candidates within this distance of a mass piece (mm, plus one voxel)
/// belong to the same mass: the stretch where a perihilar mass meets
/// the mediastinum broadly is left out of the search and parts its
/// pieces by a few millimetres (convention).
pub const MASS_PIECE_GAP_MM: f64 = 12.0;

/// Least lesion level (HU) of a mass piece and of what it takes in: soft
/// tissue (tumour 20-60 HU before contrast), not the fat of the
/// mediastinum beside it (about -100; convention).
pub const MASS_PIECE_MIN_HU: f32 = -20.0;

/// Fat density (HU, lightly smoothed): -190 to -40 (the fat window, with
/// its dense end at -40 so that noisy soft tissue does not count).
pub const LESION_FAT_HU: (f32, f32) = (-190.0, -40.0);

/// A candidate with at least this share of fat-density voxels is fat the
/// lung mask took in (mediastinal or pericardial fat), not a lung lesion
/// (convention).
pub const MAX_FAT_SHARE: f64 = 0.5;

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

// ---------------------------------------------------------------------
// Coronary artery calcium (airad.calcium, F19)
// ---------------------------------------------------------------------

/// Agatston threshold, HU: calcium is 130 HU or more (Agatston et al.,
/// JACC 1990; FINDINGS.md F19).
pub const CAC_HU: f32 = 130.0;

/// Agatston: smallest lesion area on one slice, mm^2 (Agatston 1990;
/// FINDINGS.md F19).
pub const CAC_MIN_AREA_MM2: f64 = 1.0;

/// Agatston density weights 1-4 from these peak HU (Agatston 1990).
pub const CAC_WEIGHT_HU: [f32; 4] = [130.0, 200.0, 300.0, 400.0];

/// Slice thickness of the Agatston method, mm (Agatston 1990: 3 mm
/// electron-beam slices). Thinner scans are scored on 3 mm slabs
/// averaged from the native slices; thicker ones on native slices scaled
/// by spacing / 3 (module docs of `calcium`).
pub const CAC_SLICE_MM: f64 = 3.0;

/// CAC-DRS Agatston bounds: 0, 1-99 A1, 100-299 A2, >=300 A3 (Hecht et
/// al., J Cardiovasc Comput Tomogr 2018).
pub const CAC_DRS_BOUNDS: [f64; 2] = [100.0, 300.0];

/// Search region: the pericardial sac (and the heart) grown by this much,
/// mm, so that calcium in the epicardial fat at the edge of the sac mask
/// is searched (coronary arteries run in the epicardial fat of the AV and
/// interventricular grooves; tuned).
pub const CAC_SEARCH_MARGIN_MM: f64 = 3.0;

/// Calcium whose voxels lie mostly within this distance of the aorta mask
/// is aortic (root, wall) and never coronary, mm (tuned: the aortic wall
/// is 2-3 mm thick outside a lumen mask).
pub const CAC_AORTA_MARGIN_MM: f64 = 1.0;

/// Share of a lesion's voxels near the aorta above which it is aortic
/// (convention: majority).
pub const CAC_AORTA_SHARE: f64 = 0.5;

/// Shell around a lesion inspected for epicardial fat, mm: a coronary
/// artery is 3-4 mm across in the fat, so fat lies within a few mm of its
/// calcium (tuned).
pub const CAC_SHELL_MM: f64 = 3.0;

/// Fat on CT: below this HU (adipose tissue -190..-30 HU: Yoshizumi et
/// al., Radiology 1999).
pub const CAC_FAT_MAX_HU: f32 = -30.0;

/// A coronary lesion has at least this share of fat in its shell; calcium
/// enclosed by soft tissue and blood (mitral annulus, valve) has less
/// (tuned).
pub const CAC_MIN_FAT_SHARE: f64 = 0.12;

/// A coronary lesion lies no deeper in the heart mask than this, mm
/// (depth of its centroid): the coronaries run on the surface; mitral
/// annular and valve calcium lie deeper (tuned).
pub const CAC_MAX_DEPTH_MM: f64 = 4.0;

/// Noise guard: a lesion counts when its peak exceeds the soft-tissue
/// level (blood and myocardium, ~40 HU) by this many noise SDs as well as
/// reaching [`CAC_HU`], so that noise spikes in the myocardium are not
/// scored (tuned; noise is measured in the epicardial fat).
pub const CAC_NOISE_K: f32 = 6.0;

/// Soft tissue (blood, myocardium) on non-contrast CT, HU (~40 HU).
pub const CAC_SOFT_TISSUE_HU: f32 = 40.0;

/// Largest slice thickness on which CAC = 0 can be asserted, mm (SCCT/STR
/// 2016, Hecht et al., J Cardiovasc Comput Tomogr 2017: non-gated CAC on
/// slices of 3 mm or less).
pub const CAC_MAX_SLICE_MM: f64 = 3.0;

/// Territory rule (position in the heart's frame, in half extents of its
/// bounding box from its centroid; module docs of `calcium`): lesions
/// right of this are RCA (right AV groove; tuned).
pub const CAC_RCA_MAX_U: f64 = -0.1;

/// Left-sided lesions posterior of this are LCx (left AV groove; tuned).
pub const CAC_LCX_MIN_V: f64 = 0.0;

/// Left anterior lesions above this height and within
/// [`CAC_LM_AORTA_MM`] of the aorta are LM (the left main runs from the
/// left aortic sinus, at the top of the heart; tuned).
pub const CAC_LM_MIN_W: f64 = 0.4;

/// See [`CAC_LM_MIN_W`], mm.
pub const CAC_LM_AORTA_MM: f64 = 15.0;

/// Calcified components are grown this far beyond the search region, mm,
/// to see whether they continue outside it (bone, cartilage; tuned).
pub const CAC_OUTSIDE_MM: f64 = 10.0;

/// A component with more than this share of its voxels outside the
/// search region belongs to a structure outside the heart (convention:
/// coronary calcium lies wholly in the epicardial fat; tuned).
pub const CAC_OUTSIDE_SHARE: f64 = 0.25;

/// Air (aerated lung) on CT: below this HU (convention).
pub const CAC_AIR_MAX_HU: f32 = -400.0;

/// A coronary lesion has at most this share of aerated lung in its shell
/// ([`CAC_SHELL_MM`]): calcium and noise on the pericardium at the lung
/// border is not coronary (tuned: drawn plaques <= 0.2, pericardial noise
/// on a real 5 mm scan 0.26-0.43).
pub const CAC_MAX_AIR_SHARE: f64 = 0.25;

// ---------------------------------------------------------------------
// Hepatic steatosis (F32): liver and spleen attenuation
// ---------------------------------------------------------------------

/// Liver at or below this on unenhanced CT, HU: moderate-to-severe
/// steatosis (Boyce et al., AJR 2010).
pub const LIVER_MODERATE_SEVERE_HU: f64 = 40.0;

/// Liver below this on unenhanced CT, HU: steatosis, 100 % specific for
/// moderate-to-severe fat content (Pickhardt et al., AJR 2012).
pub const LIVER_MILD_HU: f64 = 48.0;

/// Liver minus spleen below this, HU: steatosis (Boyce 2010; FINDINGS.md
/// F32 "liver more than 10 HU below spleen").
pub const LIVER_SPLEEN_DIFF_HU: f64 = -10.0;

/// Liver ROI radius, mm: a sphere of 8 mm cuts 2 cm^2 discs on its middle
/// slices, the 2-3 cm^2 ROIs of Boyce 2010 and Pickhardt 2012.
pub const LIVER_ROI_MM: f64 = 8.0;

/// Spleen ROI radius, mm (a smaller organ; convention).
pub const SPLEEN_ROI_MM: f64 = 6.0;

/// Smallest ROI radius when little of the organ is in view, mm (tuned).
pub const LIVER_ROI_MIN_MM: f64 = 4.0;

/// An ROI stays this far inside the organ mask, mm: clear of the capsule,
/// the diaphragm and partial volume (convention: ROIs "avoiding the
/// edges", Boyce 2010).
pub const ROI_MARGIN_MM: f64 = 3.0;

/// ROI centres lie on a grid of this many radii (ROIs just touch; tuned).
pub const ROI_STEP_FACTOR: f64 = 2.0;

/// Voxels beyond this many robust SDs of the ROI median are trimmed
/// (vessel cross-sections; convention for robust means).
pub const ROI_TRIM_SIGMAS: f64 = 2.5;

/// An ROI whose robust SD exceeds this multiple of the median ROI SD is
/// heterogeneous (a vessel, fissure or lesion crosses it) and dropped
/// (tuned).
pub const ROI_MAX_SD_RATIO: f64 = 1.5;

/// ROI values beyond this many robust SDs of the ROIs' median are
/// outliers (gallbladder, lesion) and dropped (convention).
pub const ROI_OUTLIER_SIGMAS: f64 = 3.0;

/// A spleen value outside this range, HU, is taken for a mis-segmented
/// neighbour and not used (unenhanced spleen 40-60 HU: Boyce 2010;
/// Kodama et al., AJR 2007).
pub const SPLEEN_PLAUSIBLE_HU: [f64; 2] = [25.0, 80.0];

// ---------------------------------------------------------------------
// Opportunistic bone density (F30): vertebral trabecular attenuation
// ---------------------------------------------------------------------

/// L1 trabecular attenuation at or below this at 120 kV, HU: low bone
/// density, the sensitive cut-off (90 % sensitivity for osteoporosis:
/// Pickhardt et al., Ann Intern Med 2013).
pub const BONE_L1_SENSITIVE_HU: f64 = 160.0;

/// L1 at or below this, HU: the balanced cut-off (Pickhardt 2013).
pub const BONE_L1_BALANCED_HU: f64 = 135.0;

/// L1 at or below this, HU: osteoporosis, the specific cut-off (>90 %
/// specificity: Pickhardt 2013; normative data Jang et al., Radiology
/// 2019).
pub const BONE_L1_SPECIFIC_HU: f64 = 110.0;

/// Tube voltage the L1 cut-offs hold at, kV, and the tolerance
/// (attenuation of bone rises as kV falls: Garner et al., Radiology 2017).
pub const BONE_REFERENCE_KV: f64 = 120.0;

/// See [`BONE_REFERENCE_KV`], kV.
pub const BONE_KV_TOLERANCE: f64 = 1.0;

/// The ROI spans the central share of the body height between the
/// endplates (clear of endplate sclerosis and partial volume with the
/// discs; convention of Pickhardt 2013, mid-body axial ROI).
pub const BONE_ROI_HEIGHT_SHARE: f64 = 0.5;

/// In-plane ROI semi-axes as shares of the body's width (left-right) and
/// depth (anteroposterior) measured on the mid-body slices: an oval in
/// the central trabecular body, clear of the cortex (Pickhardt 2013;
/// Jang 2019).
pub const BONE_ROI_WIDTH_SHARE: f64 = 0.35;

/// See [`BONE_ROI_WIDTH_SHARE`].
pub const BONE_ROI_DEPTH_SHARE: f64 = 0.25;

/// ROI centre as a share of the body depth from the posterior cortex:
/// the ROI (0.25-0.75 of the depth) keeps off the basivertebral vein
/// entering at the posterior cortex and off the anterior cortex
/// (Pickhardt 2013).
pub const BONE_ROI_CENTRE_SHARE: f64 = 0.5;

/// The body is looked for in a window of this half size around the
/// spine unit's body centre, mm (tuned).
pub const BONE_WINDOW_MM: f64 = 45.0;

/// The body centre (the deepest point of the filled vertebra slice) lies
/// within these distances of the spine unit's body centre, mm,
/// left-right and anteroposterior: that centre is on the midline but may
/// sit back at the posterior cortex when the trabecular bone is faint
/// (tuned).
pub const BONE_SEARCH_MM: [f64; 2] = [8.0, 20.0];

/// A hole of the vertebra mask darker than this on average is the canal
/// (CSF 0-15 HU, cord 30-40 HU, epidural fat below 0), not a porotic
/// body centre (trabecular bone stays above ~50 HU even in osteoporosis:
/// Jang 2019 normative data); convention.
pub const BONE_CANAL_MAX_HU: f64 = 40.0;

/// A body slice is not used when its longest anteroposterior ray exceeds
/// this multiple of the body's inscribed radius (the ray ran into the
/// arch or a rib head; an adult body is at most ~1.5 times wider than
/// deep; tuned).
pub const BONE_MAX_EXTENT_RATIO: f64 = 2.0;

/// Slices whose ROI median exceeds the darkest slice's by more than this
/// are endplate or cortex and dropped, HU (trabecular texture varies a
/// few tens of HU between slices; tuned).
pub const BONE_SLICE_SPREAD_HU: f64 = 50.0;

/// A level whose value differs from the median of the measured levels
/// within two levels of it by more than this is not used, HU: trabecular
/// attenuation changes by a few HU per level (Jang 2019), so such a level
/// holds a fracture, a focal lesion or a mis-placed ROI (levels with
/// fractures or focal lesions are excluded in opportunistic screening:
/// Pickhardt 2013; tuned).
pub const BONE_NEIGHBOUR_MAX_HU: f64 = 60.0;

/// The left-right position of a body is the median of the spine unit's
/// body centres within this many levels (the midline changes slowly,
/// even in scoliosis; tuned).
pub const BONE_MIDLINE_LEVELS: i64 = 3;

/// CT at or above this is taken for bone of the body even outside the
/// level's mask, HU: the cortex (500-1500 HU, blurred to 200-300 HU on
/// thick slices) and normal trabecular bone, so that a body whose mask
/// the spine unit cut short is still closed (the skeleton mask threshold
/// of the anatomy crate, 150 HU; tuned).
pub const BONE_DENSE_HU: f64 = 150.0;

/// Thickest slices on which the L1 value is read without a caveat, mm
/// (the cut-offs were derived on 1.25-5 mm reconstructions: Pickhardt
/// 2013; Jang 2019).
pub const BONE_MAX_SLICE_MM: f64 = 5.0;

/// Levels whose endplates lie closer than this are not measured, mm
/// (adult thoracolumbar bodies are 15-30 mm high; a shorter level is a
/// mis-placed disc; convention).
pub const BONE_MIN_HEIGHT_MM: f64 = 12.0;

/// Longest ray from the body centre, mm (adult thoracolumbar bodies are
/// up to ~50 mm wide: convention).
pub const BONE_MAX_RAY_MM: f64 = 32.0;

/// Plausible half extents of a vertebral body from its centre, mm: a
/// lateral ray outside takes the other side's length, an anteroposterior
/// one drops the slice (tuned).
pub const BONE_HALF_EXTENT_MM: [f64; 2] = [5.0, 28.0];

/// Fewest voxels for a level's ROI (tuned).
pub const BONE_MIN_ROI_VOXELS: usize = 12;

// ---------------------------------------------------------------------
// Emphysema (airad.emphysema, F05)
// ---------------------------------------------------------------------

/// Low-attenuation threshold, HU: lung under -950 HU is emphysema
/// (validated against pathology by Gevenois et al., AJRCCM 1996;
/// FINDINGS.md F05).
pub const LAA_HU: f32 = -950.0;

/// %LAA-950 severity steps: under 5 none, mild 5-15, moderate 15-25,
/// severe over 25 (FINDINGS.md F05, convention).
pub const EMPHYSEMA_GRADES: [f64; 3] = [5.0, 15.0, 25.0];

/// %LAA-950 is "limited" on slices thicker than this, mm (FINDINGS.md:
/// thick slices lower %LAA-950, Gierada et al., Acad Radiol 2010; the
/// 2.5 mm bound of the exam-context rules).
pub const EMPHYSEMA_LIMITED_SLICE_MM: f64 = 2.5;

/// Upper- (lower-) zone predominance: %LAA of the upper third at least
/// this multiple of the lower third's (or at most its inverse); between
/// the two the emphysema is diffuse (convention).
pub const EMPHYSEMA_PREDOMINANCE: f64 = 1.5;

/// Paraseptal pattern: the subpleural band examined, mm (paraseptal
/// emphysema is a single row of subpleural lucencies up to about 1 cm:
/// Lynch et al., Radiology 2015, Fleischner Society statement).
pub const PARASEPTAL_BAND_MM: f64 = 10.0;

/// Paraseptal hint: low attenuation at least this many times denser in
/// the subpleural band than deeper in the lung (tuned on phantoms of the
/// three patterns).
pub const PARASEPTAL_ENRICHMENT: f64 = 2.0;

/// No pattern hint under this %LAA-950 of the lung (a handful of
/// lucencies has no pattern; convention).
pub const PARASEPTAL_MIN_PERCENT: f64 = 5.0;

/// Kernels named like Siemens' (letters, two digits, a letter: B70f,
/// Br64, I50f) are sharp from this number (B30f smooth, B45f medium,
/// B60f-B80f sharp lung/bone kernels; Boedeker et al., Radiology 2004).
pub const SHARP_KERNEL_NUMBER: u32 = 50;

/// Sharp (lung, bone, edge) kernels by name: GE LUNG, BONE, BONEPLUS,
/// EDGE, DETAIL; Philips C, D, E, EB, L (lung), YC, YD (vendor manuals;
/// DETAIL and C sit between standard and sharp and are counted sharp,
/// the conservative side for %LAA).
pub const SHARP_KERNEL_NAMES: [&str; 12] = [
    "LUNG", "BONE", "BONEPLUS", "EDGE", "DETAIL", "C", "D", "E", "EB", "L", "YC", "YD",
];

/// Soft and standard kernels by name (GE SOFT, STANDARD, CHEST; Philips
/// A, B, YA, YB).
pub const STANDARD_KERNEL_NAMES: [&str; 7] = ["SOFT", "STANDARD", "CHEST", "A", "B", "YA", "YB"];

// ---------------------------------------------------------------------
// Pleura (airad.pleura): the costal pleura from the rib cage
// ---------------------------------------------------------------------

/// In-plane Gaussian sigma (mm) of the smoothing the pleural detectors
/// read (noise 10-40 HU per voxel; convention).
pub const PLEURA_SMOOTH_MM: f64 = 1.0;

/// Rib cage: bone above this HU on the smoothed CT (cortical and
/// trabecular rib 300-1500 HU, partial-volumed on thick slices; costal
/// cartilage 80-150 HU stays below; convention).
pub const PLEURA_BONE_HU: f32 = 180.0;

/// Width in angle of the opening that bridges intercostal gaps, degrees
/// (tuned: ribs cover most angles within a few degrees).
pub const WALL_WINDOW_DEG: f64 = 12.0;

/// Height of that opening, mm (intercostal spaces are 15-25 mm high
/// along the lateral chest wall; Gray's Anatomy, 42nd ed.).
pub const WALL_WINDOW_MM: f64 = 30.0;

/// Rays whose lung edge lies more than this from the bone are not used
/// to measure the normal lung-to-rib gap, mm (convention).
pub const WALL_GAP_MAX_MM: f64 = 15.0;

/// The per-angle lung-to-bone gap needs this many (slice, ray) samples,
/// else the side's median gap is used (convention).
pub const WALL_GAP_MIN_SAMPLES: usize = 10;

/// Extra margin inside the estimated costal pleura, mm.
pub const WALL_MARGIN_MM: f64 = 0.0;

// ---------------------------------------------------------------------
// Pleural effusion and haemothorax (airad.pleura, F14)
// ---------------------------------------------------------------------

/// Pleural fluid attenuation searched for, HU: serous effusions 0-20 HU
/// (Abramowitz et al., Chest 2009), haemothorax 35-70 HU; a little room
/// below water for noise and partial volume (convention).
pub const FLUID_HU: (f32, f32) = (-20.0, 80.0);

/// In-plane Gaussian sigma (mm) of the smoothing that tells fluid from
/// denser tissue (noise of sharp kernels reaches 40 HU per voxel; the
/// fluid-tissue contrast is 20-50 HU; convention).
pub const FLUID_SMOOTH_MM: f64 = 2.0;

/// The fluid's level is read within this distance of the dependent
/// (posterior) costal pleura, mm (free fluid layers there in a supine
/// patient; convention).
pub const FLUID_SEED_BAND_MM: f64 = 15.0;

/// The fluid level is read only where the lung lies at least this far
/// inside the estimated costal pleura, mm (the normal lung touches the
/// chest wall: anything thicker between them is abnormal; convention).
pub const FLUID_SEED_MIN_MM: f64 = 6.0;

/// The fluid level is the lowest-HU peak of the dependent band's
/// histogram holding at least this share of the highest peak (tuned).
pub const FLUID_PEAK_SHARE: f64 = 0.25;

/// Fluid: smoothed HU within this of the fluid's level (at least; wider
/// for noisier fluid: 2.5 sigma of its histogram peak), HU (tuned:
/// serous fluid sits 20-50 HU under muscle, liver, heart and compressed
/// lung).
pub const FLUID_WINDOW_HU: f32 = 12.0;

/// Fluid is sought this far below the lowest slice of aerated lung, mm
/// (the posterior costophrenic recess reaches a few centimetres below
/// the lung's base, more so when fluid fills it; convention).
pub const RECESS_MM: f64 = 40.0;

/// A fluid piece lies against the dependent pleura over at least this
/// area, mm^2 (a free effusion layers against the posterior chest wall;
/// convention).
pub const FLUID_MIN_CONTACT_MM2: f64 = 300.0;

/// Free pleural fluid reaches the base: a fluid piece must reach the
/// lowest this share of the lung's height (convention; an apical
/// collection alone is loculated fluid or chest-wall tissue, not a free
/// effusion, and is left to the reader).
pub const FLUID_BASAL_SHARE: f64 = 0.5;

/// Smallest effusion reported, mL (a few millilitres are physiological
/// and not separable from pleural thickening on CT; convention).
pub const EFFUSION_MIN_ML: f64 = 10.0;

/// The fluid's edge is refined by at most this many voxels of growth
/// (tuned: the wide smoothing moves the edge by about its sigma).
pub const REFINE_STEPS: usize = 3;

/// ... and at most this far beyond the inner surface of the ribs, mm
/// (the parietal pleura lies just inside them; convention).
pub const REFINE_BEYOND_MM: f64 = 1.0;

/// Fluid denser than this, HU, is level with chest-wall muscle (38-58
/// HU) and blood; FINDINGS.md flags fluid over 30 HU as possible
/// haemothorax.
pub const DENSE_FLUID_HU: f32 = 30.0;

/// Such dense fluid is reported only when at least this thick
/// (anteroposterior, mm): a thin dense layer between lung and ribs is
/// not told from intercostal and paraspinal muscle on non-contrast CT
/// (tuned on phantoms; the small-haemothorax limit of this unit).
pub const DENSE_MIN_DEPTH_MM: f64 = 15.0;

/// Dense fluid is reported only when at least this share of it lies
/// lateral to the paravertebral gutter (free blood layers along the
/// whole posterior chest wall; a dense wedge beside the spine is
/// erector spinae seen past the rib heads; tuned on phantoms).
pub const DENSE_MIN_LATERAL_SHARE: f64 = 0.5;

/// The paravertebral gutter: within this share of the way from the
/// midline to the lung's lateral edge on the slice (convention: the
/// vertebral body and rib heads take about the inner quarter).
pub const PARAVERTEBRAL_SHARE: f64 = 0.3;

/// Fluid above this HU flags possible haemothorax (FINDINGS.md F14).
pub const HAEMOTHORAX_HU: f64 = 30.0;

/// Moy et al. 2013: anteroposterior quartile from which an effusion is
/// large (1 small, 2 moderate, 3-4 large).
pub const EFFUSION_LARGE_QUARTILE: u32 = 3;

// ---------------------------------------------------------------------
// Pneumothorax (airad.pleura, F15)
// ---------------------------------------------------------------------

/// Air, HU, and the level above which a lung voxel (lightly smoothed) is
/// aerated lung rather than air (normal inspiratory lung -900..-800 HU,
/// Hu et al., IEEE TMI 2001; convention).
pub const AIR_HU: (f32, f32) = (-1000.0, -920.0);

/// Pneumothorax cores: widely smoothed HU under this is air with the
/// noise averaged away (aerated lung, vessels crossing even emphysema,
/// stays above it; tuned).
pub const PTX_CORE_HU: f32 = -975.0;

/// Smallest pneumothorax core, mL (a rim of a few millimetres over a few
/// centimetres; smaller air is not told from subpleural lucencies;
/// convention).
pub const PTX_MIN_ML: f64 = 2.0;

/// The edge of the lung mask: voxels within this depth of it (mm) lie at
/// the chest wall, partial-volumed with it (tuned: the wide smoothing
/// keeps air cores a couple of millimetres off the wall).
pub const PTX_RIM_MM: f64 = 4.0;

/// Free pleural air rises: at most this share of a pneumothorax may lie
/// in the back half of its lung's columns in a supine patient (tuned; a
/// subpleural band all round the lung is emphysema or bullae).
pub const PTX_MAX_POSTERIOR_SHARE: f64 = 0.25;

/// At least this share of the air must lie in front of all aerated lung
/// of its (x, z) column (air rises to the top; tuned on phantoms: pleural
/// air 0.99-1.0, subpleural emphysema clusters 0.5-0.75).
pub const PTX_MIN_TOP_SHARE: f64 = 0.9;

/// Air with lung above it in its column, beyond at least this much soft
/// tissue, lies under the lung's base (the diaphragm is 3-5 mm thick and
/// the stomach's wall and the spleen add to it), mm (convention).
pub const PTX_DIAPHRAGM_MM: f64 = 8.0;

/// Soft tissue (not air or lung) is above this HU on the lightly smoothed
/// CT (convention: fat is above -190 HU; partial-volumed lung edges below
/// -500 count as neither).
pub const SOFT_TISSUE_MIN_HU: f32 = -500.0;

/// Growth of the air cores to the half-way edge, voxels (tuned: the wide
/// smoothing moves the edge by about its sigma).
pub const PTX_GROW_STEPS: usize = 6;

/// The hilum: from the carina down this far, mm, where the BTS rim is
/// read (the hila lie at and just below the carina; convention).
pub const HILUM_BAND_MM: f64 = 45.0;

/// The carina lies within this share of the lungs' height from their
/// base (about 60-70 %: the lungs reach 3-5 cm above the clavicles and
/// the carina lies at T4-T5; Gray's Anatomy, 42nd ed.); a carina found
/// outside it is taken for an error of the airways unit (convention).
pub const CARINA_HEIGHT_SHARE: (f64, f64) = (0.4, 0.85);

/// Without a plausible carina, the hilar level is estimated at this share
/// of the lungs' height from their base (convention).
pub const CARINA_HEIGHT_ESTIMATE: f64 = 0.65;

/// BTS 2010: a pneumothorax is large when the rim at the hilum exceeds
/// this, mm (MacDuff et al., Thorax 2010; FINDINGS.md F15).
pub const PTX_LARGE_RIM_MM: f64 = 20.0;

// ---------------------------------------------------------------------
// Vertebral compression fracture (F29): Genant semi-quantitative grade
// ---------------------------------------------------------------------

/// Genant grade bounds, fraction of the body height lost at its most
/// compressed point: grade 1 (mild) 20-25 %, grade 2 (moderate)
/// 25-40 %, grade 3 (severe) over 40 % (Genant et al., J Bone Miner Res
/// 1993). Under 20 % is not a fracture.
pub const FRACTURE_GENANT_BOUNDS: [f64; 3] = [0.20, 0.25, 0.40];

/// Anterior and posterior heights are read this far inside the anterior
/// and posterior walls, mm, the middle height half-way: the corner points
/// of six-point morphometry, kept off the rounded rim, marginal
/// osteophytes and the walls' own cortex (about 1 mm, blurred over 1-2
/// pixels) (McCloskey et al., Osteoporos Int 1993; tuned).
pub const FRACTURE_WALL_INSET_MM: f64 = 3.0;

/// Endplates are found at the centre of their bright band on CT (a thin
/// plate's position is what 1-3 mm slices show); each height adds this,
/// one band's width, to run from outer face to outer face, mm (cortical
/// endplate 0.4-1.2 mm, Edwards et al., Spine 2001; with the condensed
/// subchondral bone beneath it the band is 1-3 mm on CT; tuned within
/// that range. The phantom's heights read about 1 mm short at this value,
/// but a larger one lowers every height-loss ratio, and the suite's
/// wedges already read 3 points low).
pub const FRACTURE_ENDPLATE_MM: f64 = 1.5;

/// The profiles are averaged over this half width across the midline
/// (left-right), mm: a thin mid-sagittal slab, as a reader scrolls the
/// mid-sagittal reformat (convention).
pub const FRACTURE_SLAB_HALF_MM: f64 = 2.0;

/// An outer edge (cortex to disc or to soft tissue) is the first
/// descending run of the profile, walking outwards from inside the body,
/// that falls by at least this, HU: the endplate cortex (500-1500 HU,
/// blurred to 200-400 HU on 2.5 mm slices) over disc (70-110 HU)
/// (tuned) ...
pub const FRACTURE_EDGE_MIN_DROP_HU: f64 = 80.0;

/// ... and by at least this share of the largest fall within reach
/// (trabecular texture falls by tens of HU, an endplate by hundreds;
/// tuned).
pub const FRACTURE_EDGE_RELATIVE: f64 = 0.45;

/// A descending run continues over rises up to this, HU (noise on the
/// slab average; tuned).
pub const FRACTURE_EDGE_RISE_TOLERANCE_HU: f64 = 15.0;

/// The endplates are looked for this far beyond the spine unit's
/// endplate centres, mm: those are read off the disc spaces and can be a
/// slice or two off at a fractured body, and the first plate walking out
/// of the body is taken, so a longer reach only costs time (a depressed
/// endplate lies inside; tuned).
pub const FRACTURE_SEARCH_BEYOND_MM: f64 = 12.0;

/// The walls are looked for this far from the body centre, mm (adult
/// thoracolumbar bodies are at most ~45 mm deep: convention).
pub const FRACTURE_WALL_SEARCH_MM: f64 = 32.0;

/// Plausible body heights along its axis, mm (adult T1-L2 bodies are
/// 14-32 mm high; a collapsed grade 3 body keeps over a third:
/// convention). A level outside is not measured.
pub const FRACTURE_HEIGHT_RANGE_MM: [f64; 2] = [5.0, 40.0];

/// Plausible body depth, mm (adult T1-L2 bodies are 20-45 mm deep:
/// convention).
pub const FRACTURE_DEPTH_RANGE_MM: [f64; 2] = [15.0, 55.0];

/// The heights are traced from the middle towards each wall in steps of
/// this, mm, each column starting inside the body at the previous
/// column's mid-height (a depressed endplate may reach below the body's
/// centre; tuned).
pub const FRACTURE_TRACE_STEP_MM: f64 = 1.5;

/// Thickest slices on which heights are graded without a caveat, mm;
/// on thicker ones a fracture is reported (limited) only when its loss
/// exceeds 20 % by more than a slice, and beyond
/// [`FRACTURE_MAX_SLICE_MM`] heights are not read at all (a grade 1
/// fracture loses 3-7 mm of a 15-30 mm body: a 5 mm slice hides it;
/// FINDINGS.md: "limited" on thick slices).
pub const FRACTURE_MILD_MAX_SLICE_MM: f64 = 3.0;

/// The anterior and posterior heights are read only when the trace got
/// at least this share of the way from the middle to their points
/// (convention: nearer the middle it is the middle height again).
pub const FRACTURE_TRACE_MIN_REACH: f64 = 0.6;

/// Between two profiles one trace step apart an endplate moves by at
/// most this, mm: endplates are smooth (a grade 3 wedge falls by about
/// 0.5 mm per 1.5 mm step); a larger jump is another plate, and the
/// trace stops at the last profile before it (tuned).
pub const FRACTURE_EDGE_MAX_JUMP_MM: f64 = 2.5;

/// See [`FRACTURE_MILD_MAX_SLICE_MM`], mm.
pub const FRACTURE_MAX_SLICE_MM: f64 = 5.0;

// ---------------------------------------------------------------------
// Rib fracture (F28): lines, steps and callus along the straightened rib
// ---------------------------------------------------------------------

/// Thickest slices on which rib fractures are read at all, mm: a
/// displaced fracture or a callus still shows on 5 mm sections, nothing
/// finer does (FINDINGS.md: rib fractures need reformats and are
/// "limited" on thick slices; Talbot et al., Radiographics 2017).
pub const RIBFX_MAX_SLICE_MM: f64 = 5.0;

/// Thickest slices on which an undisplaced (hairline, 0.4-1 mm) line can
/// be excluded, mm; on thicker ones the finding list says "limited"
/// (Talbot 2017: hairline fractures need thin sections).
pub const RIBFX_HAIRLINE_MAX_SLICE_MM: f64 = 2.5;

/// Spacing of the stations along the rib's centreline and of the samples
/// in each cross-section, mm (half the finest in-plane pixel of a chest
/// CT: a 0.4-1 mm line must fall between two stations at most).
pub const RIBFX_STEP_MM: f64 = 0.5;

/// Half-width of the cross-section sampled at each station, mm: a rib
/// shaft is 8-15 mm tall and 4-8 mm thick (anatomy texts), with room for
/// a displaced fragment's step.
pub const RIBFX_SECTION_HALF_MM: f64 = 7.0;

/// Width of the geodesic bins whose centroids make the centreline, mm.
pub const RIBFX_BIN_MM: f64 = 2.0;

/// The rib's own voxels (its anatomy mask) are spread this far along the
/// centreline, mm, so that a fracture gap the mask left out still counts
/// as the rib's section (a displaced gap is 1-3.5 mm).
pub const RIBFX_OWN_SPREAD_MM: f64 = 3.0;

/// Half-length of the running median along the rib that gives each
/// section pixel its intact level, mm (longer than any fracture gap or
/// crossing, shorter than the rib's changes of shape; convention).
pub const RIBFX_BASE_HALF_MM: f64 = 8.0;

/// A section pixel is bone when its intact level reaches this, HU
/// (trabecular rib bone 150-400 HU, cortex 600-1500; fat and muscle stay
/// below 100).
pub const RIBFX_BONE_HU: f64 = 200.0;

/// The rib's mask is widened in each section by this many pixels of
/// [`RIBFX_STEP_MM`] (its partial-volume rim, callus the mask missed).
pub const RIBFX_OWN_WIDEN_PX: usize = 2;

/// Tilts of the candidate fracture planes from perpendicular to the rib
/// (tangents: about 11 and 22 degrees; oblique lines are the rule, and a
/// 0.5 mm line tilted 20 degrees across a 10 mm shaft spreads over 3.6 mm
/// of the rib: the plane, not the station, must be matched).
pub const RIBFX_TILTS: [f64; 2] = [0.2, 0.4];

/// A fracture line is a valley along the rib: its section is compared
/// with the same pixels this far before and after it, mm (nearer than a
/// line's partial volume reaches, farther than a 3.5 mm distraction gap
/// half-width; the lower side counts, so a rib's end is no valley).
pub const RIBFX_VALLEY_SIDES_MM: [f64; 2] = [1.5, 4.0];

/// A station is a fracture line when the mean drop of its section's bone
/// below the intact level, on the best-fitting plane, is at least this
/// many robust standard deviations above the rib's median drop: a
/// fracture crosses the whole shaft, noise and texture do not (tuned on
/// phantoms of 11-40 HU noise, soft to sharp kernels).
pub const RIBFX_MIN_LINE_SD: f64 = 12.0;

/// Least bone in a section for it to be read, mm^2.
pub const RIBFX_MIN_BONE_MM2: f64 = 4.0;

/// Stations this close to the rib's traced ends are not read, mm: the
/// head, neck and tubercle (joints, crossing transverse process) and the
/// costochondral end (cartilage, patchy calcification).
pub const RIBFX_END_MARGIN_MM: [f64; 2] = [20.0, 12.0];

/// The shaft is read on both sides of a line, from this distance to
/// [`RIBFX_SIDE_FAR_MM`], mm: its bone area there must be within
/// [`RIBFX_AREA_RANGE`] of the rib's running median and its centre
/// within [`RIBFX_CENTRED_MM`] of the centreline, or the centreline is
/// off the rib there (crossings, tracing errors) and the line not read.
pub const RIBFX_SIDE_NEAR_MM: f64 = 2.0;

/// See [`RIBFX_SIDE_NEAR_MM`].
pub const RIBFX_SIDE_FAR_MM: f64 = 5.0;

/// See [`RIBFX_SIDE_NEAR_MM`] (a callus adds 1.5-4 mm of bone round the
/// shaft, so the upper bound is wide).
pub const RIBFX_AREA_RANGE: [f64; 2] = [0.5, 2.5];

/// See [`RIBFX_SIDE_NEAR_MM`], mm.
pub const RIBFX_CENTRED_MM: f64 = 3.0;

/// A line is not read where another bone (scapula, clavicle, a
/// neighbouring rib, a transverse process) has more than this in the
/// sections within [`RIBFX_SIDE_NEAR_MM`] of it, mm^2 (a fracture line
/// has less bone than the shaft, a crossing more): crossings make
/// valleys of their own, and the anatomy's rib masks may hold pieces of
/// the bone they touch (convention).
pub const RIBFX_FOREIGN_MAX_MM2: f64 = 2.0;

/// Bone farther than this from the centreline across the shaft's
/// thickness (the section axis in the axial plane) is another bone's,
/// mm, even inside the rib's mask: a shaft is 4-8 mm thick (anatomy
/// texts), a callus adds up to 4 mm round it... so a callus may reach
/// it; crossings reach the section's edge.
pub const RIBFX_SHAFT_HALF_THICK_MM: f64 = 6.0;

/// Half-length of the running median of the section's bone area, mm.
pub const RIBFX_AREA_MEDIAN_HALF_MM: f64 = 30.0;

/// Step between the fragments from which a fracture is called displaced,
/// mm (a fracture is displaced from ~1-2 mm: Talbot 2017).
pub const RIBFX_DISPLACED_MM: f64 = 1.5;

/// The fragments' bone centroids are fitted this far from the line, mm,
/// each side's line carried to it for the step: nearer, the sections
/// (perpendicular to a centreline smoothed through the step) cut both
/// fragments and average them (tuned: the first 2-10 mm window halved
/// the phantoms' 2.6-7.4 mm steps).
pub const RIBFX_STEP_FIT_MM: [f64; 2] = [4.0, 12.0];

/// A callus: the section's bone area within a few mm of the line at least
/// this many times the rib's running median (a fusiform callus of
/// 1.5-4 mm over the cortex; healing from 2-6 weeks).
pub const RIBFX_CALLUS_RATIO: f64 = 1.35;

/// Two lines closer than this along one rib are one fracture, mm.
pub const RIBFX_MIN_APART_MM: f64 = 15.0;

/// Ribs traced shorter than this are not read, mm (a rib cut by the
/// scan's end, or a first rib hidden by the clavicle).
pub const RIBFX_MIN_RIB_MM: f64 = 60.0;

/// The finding's voxels: the rib's voxels within this distance of the
/// fracture line's centre, mm.
pub const RIBFX_MASK_RADIUS_MM: f64 = 5.0;

/// Flail chest: at least this many consecutive ribs of one side each
/// broken in at least two places (FINDINGS.md F28).
pub const RIBFX_FLAIL_RIBS: usize = 3;

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

/// Lungs: half-width of the band around the body's midline in which the
/// junction line is searched when joined lungs meet along a broad front
/// (the anterior junction line lies within about 2-3 cm of the midline,
/// often a little left of it: Proto & Simmons, AJR 1976).
pub const LUNG_JUNCTION_BAND_MM: f64 = 35.0;

/// Skeleton: in-plane smoothed CT above this is vertebral-body bone
/// (trabecular bone of thoracic and lumbar bodies is 150-300 HU in
/// adults; discs 70-110 HU and muscle 40-60 HU stay below). Osteoporotic
/// bodies read under it (L1 <= 110 HU is the specific cut-off of
/// Pickhardt et al., Ann Intern Med 2013): their centres are recovered
/// by [`SPINE_POROTIC_HOLE_HU`].
pub const SPINE_BODY_HU: f32 = 115.0;

/// Skeleton: a hole of the dense-bone map (a region enclosed by cortex
/// on one slice) whose mean in-plane smoothed CT is at least this is the
/// trabecular centre of an osteoporotic body and is filled: above
/// muscle (40-60 HU) and the canal's CSF (0-15 HU) and cord (30-40 HU)
/// (Hounsfield unit tables, e.g. Lev and Gonzalez in "CT and MRI of the
/// whole body", 2003). Porotic centres under it (severe osteoporosis,
/// fatty marrow) are not recovered.
pub const SPINE_POROTIC_HOLE_HU: f32 = 60.0;

/// Skeleton: largest hole filled by [`SPINE_POROTIC_HOLE_HU`], mm²: a
/// large lumbar body's cross-section (about 50 x 35 mm; Panjabi et al.,
/// Spine 1992), so pockets of muscle between ribs, processes and body
/// larger than a body are never filled.
pub const SPINE_POROTIC_HOLE_MAX_MM2: f64 = 1800.0;

/// Skeleton: radius (mm) of the in-plane opening that keeps the vertebral
/// body and removes pedicles (4-8 mm wide), laminae, processes and ribs
/// (Panjabi et al., Spine 1991: thoracic pedicle width 4.5-8 mm).
pub const SPINE_OPEN_MM: f64 = 4.5;

/// Skeleton: smallest vertebral-body cross-section on an axial slice, mm^2
/// (C7 body about 16 x 22 mm; smaller blobs are processes or partial
/// volume at an endplate).
pub const SPINE_MIN_BLOB_MM2: f64 = 120.0;

/// Skeleton: largest left-right offset (mm) of the vertebral body from the
/// trunk's midline (rotation, scoliosis, off-centre patients).
pub const SPINE_MAX_OFFSET_MM: f64 = 35.0;

/// Skeleton: typical vertebral level height (body plus disc), mm, used
/// when the density profile shows no period (thoracic 20-28 mm, lumbar
/// 32-38 mm: Panjabi et al., Spine 1991 and 1992).
pub const SPINE_LEVEL_MM: f64 = 25.0;

/// Skeleton: CT above this is cortical or dense trabecular bone when
/// tracing ribs (rib cortex 700-1500 HU; partial volume of 6-10 mm ribs
/// on 5-8 mm slices still exceeds it; costal cartilage 80-150 HU stays
/// below, calcified cartilage above 250 HU may join).
pub const RIB_BONE_HU: i16 = 200;

/// Skeleton: CT above this is included in a bone's mask once the bone is
/// found (marrow of ribs, sternum and scapula 100-300 HU).
pub const BONE_MASK_HU: i16 = 150;

/// Skeleton: band of distances beyond the vertebral body's lateral edge
/// (mm) where a rib's height is read for numbering: just lateral to the
/// costotransverse joint (transverse processes reach 10-20 mm beyond the
/// body's edge; the rib angle, where the rib turns down, lies 40-60 mm
/// from the midline lower in the chest: Gray's Anatomy, 42nd ed.).
pub const RIB_TUBERCLE_BAND_MM: (f64, f64) = (16.0, 30.0);

/// Skeleton: a bony piece within this distance (mm) of a traced rib on the
/// same side continues it (ribs cut into pieces by thick slices or
/// fractures; intercostal spaces are wider, 10-20 mm).
pub const RIB_LINK_MM: f64 = 9.0;

/// Skeleton: greatest craniocaudal extent (mm) of a traced piece taken as
/// the first rib. The first rib is short and nearly flat: from its head at
/// T1 to its cartilage at the manubrium, whose upper border lies at the
/// T2-T3 disc, it drops about one to two levels (20-50 mm; Gray's
/// Anatomy, 42nd ed., ch. 53). A taller piece is ribs fused with the
/// shoulder girdle on the tracing grid.
pub const RIB1_MAX_HEIGHT_MM: f64 = 100.0;

/// Skeleton: least lateral reach (mm from the column's centre) of a rib
/// piece, on the level above the first rib reaching the front, for that
/// level to be taken as bearing a first rib broken into pieces (thick
/// slices cut its steep shaft). Cervical ribs are mostly incomplete,
/// ending free in the neck short of the first rib's side (the lower
/// grades of Gruber's classification); on the phantom suite they reach
/// 45-50 mm, first-rib pieces 57-82 mm. A complete cervical rib on both
/// sides is read as a first rib: the count is then one level low.
pub const RIB1_PIECE_MIN_LATERAL_MM: f64 = 55.0;

/// Skeleton: the levels (name indices, T3-T6) the carina may lie at: at
/// T4-T5 in most adults (Mi et al., Surg Radiol Anat 2015), with one
/// level either side allowed. A count that puts it elsewhere is not
/// taken from a first rib on the top segment.
pub const CARINA_LEVELS: std::ops::RangeInclusive<i64> = 3..=6;

/// Skeleton: on slices at least this thick (mm) the disc profile is
/// sampled too coarsely for partial-volume dips to be told from discs,
/// so consecutive discs must lie at least
/// [`SPINE_THICK_MIN_GAP`] of the level period apart.
pub const SPINE_THICK_SLICE_MM: f64 = 5.0;

/// Skeleton: least spacing of consecutive discs on thick slices, as a
/// share of the column's level period (adjacent thoracic levels differ
/// by under 15% in height: Panjabi et al., Spine 1991).
pub const SPINE_THICK_MIN_GAP: f64 = 0.75;

/// Skeleton: half-width (mm) of the stretch of column whose disc profile
/// gives the local level period a gap between two disc candidates is
/// judged against (about two and a half upper thoracic levels each side).
pub const SPINE_LOCAL_PERIOD_WINDOW_MM: f64 = 60.0;

/// Skeleton: bounds of the local level period as shares of the column's.
/// Thoracic levels grow steadily from T1 to T12, the upper ones about two
/// thirds of the height of the lowest (Panjabi et al., Spine 1991), so a
/// single period over the whole column is too long for the upper levels
/// and too short for the lower; a local estimate outside these bounds is
/// taken as noise and clamped.
pub const SPINE_LOCAL_PERIOD_RANGE: (f64, f64) = (0.65, 1.2);

/// Skeleton: least depth of a disc candidate, as a share of the median
/// depth of the profile's dips. Shallower dips are noise: on the 20-case
/// phantom suite every disc found is at least 0.3 of the median dip (most
/// 1-8 times it); with level periods taken locally, a dip of 0.02 that
/// happened to lie one period below the last disc was chained (real scan
/// A0002).
pub const SPINE_DISC_MIN_DEPTH_SHARE: f64 = 0.1;

/// Skeleton: least depth of the lowest disc, when found near the scan's
/// end (within the detrending window), as a share of the median depth of
/// the column's discs; a shallower one there is dropped if it also closes
/// a short level ([`SPINE_END_LEVEL_MIN_SHARE`]). The disc profile is
/// detrended over a window the scan's end truncates, and the bright
/// endplate of a vertebra the scan cuts makes that vertebra's own
/// trabecular bone look like a shallow dip (measured on the phantom
/// suite: real discs 4-8 times the median candidate's depth, the end
/// artefacts 0.8-1.0; on 5 mm slices 1.0-1.6 against 0.2). Depth alone
/// does not tell them apart: a real disc near the end can be as shallow
/// (phantom seed 3's C7/T1 disc, 1.2, 9 mm below the scan's top).
pub const SPINE_END_DISC_MIN_PROMINENCE: f64 = 0.5;

/// Skeleton: the least height of the lowest level, as a share of the
/// column's level period or of the level above it when that is taller,
/// for a shallow disc near the scan's end to close it
/// ([`SPINE_END_DISC_MIN_PROMINENCE`]): the lower levels are the column's
/// tallest, and the false end discs of the phantom suite closed levels of
/// 0.69-0.77 periods, real ones 0.95-1.05. The period is taken over the
/// whole column, whose upper levels are shorter, so against the level
/// above a false end disc stands out more (0.67-0.75 on cases 015 and
/// 016, closing 0.86-0.95 of the period).
pub const SPINE_END_LEVEL_MIN_SHARE: f64 = 0.85;

/// Lung envelope: soft-tissue density of dense intrapulmonary disease
/// brought into the lung (consolidation from about -300 HU, masses 20-60
/// HU, calcified parts up to a few hundred HU; bone above).
pub const LESION_HU: (i16, i16) = (-400, 250);

/// Lung envelope: fat (-190 to -30 HU is the usual fat window; its dense
/// end is left to partial volume), never part of the lung.
pub const FAT_HU: (i16, i16) = (-190, -60);

/// Lung envelope and chest wall: cortical and dense trabecular bone lies
/// above this (ribs 300-1500 HU).
pub const BONE_MIN_HU: i16 = 300;

/// Lung envelope: a convex-hull edge whose outward normal is within 60
/// degrees of the medial direction faces the mediastinum (cardiac and
/// hilar impressions), not the costal pleura.
pub const MEDIASTINAL_FACE_COS: f64 = 0.5;

/// Lung envelope: deepest concavity filled, mm (a mass up to about 6 cm
/// against the chest wall; deeper hollows are anatomy).
pub const ENVELOPE_MAX_DEPTH_MM: f64 = 60.0;

/// Lung envelope: a concavity shallower than this is rib impression or
/// pleura, not disease, mm.
pub const ENVELOPE_MIN_DEPTH_MM: f64 = 4.0;

/// Lung envelope: smallest dense concavity filled, mm^2 per slice (a 6 mm
/// juxtapleural nodule).
pub const ENVELOPE_MIN_AREA_MM2: f64 = 25.0;

/// Encircled lesions: rays cast in-plane from a dense pixel in a lung's
/// hull concavity, and their reach, mm. A juxtamediastinal or hilar mass
/// is seen by a reader as a lump the lung wraps round; 40 mm spans the
/// lung around a mass of up to about 8 cm (convention).
pub const ENCIRCLED_RAYS: usize = 32;
/// See [`ENCIRCLED_RAYS`].
pub const ENCIRCLED_RAY_MM: f64 = 40.0;
/// Encircled lesions: soft tissue, HU after the in-plane smoothing of
/// [`ENCIRCLED_SMOOTH_MM`] (solid tumour 20-60 HU, necrosis down to about
/// 5; fat about -100, so fat-tissue borders fall below -40).
pub const ENCIRCLED_HU: (f32, f32) = (-40.0, 250.0);
/// See [`ENCIRCLED_HU`]: in-plane Gaussian sigma, mm (pixel noise of
/// 20-60 HU would otherwise hole a tumour and let fat through).
pub const ENCIRCLED_SMOOTH_MM: f64 = 1.5;
/// Encircled lesions: step along a ray, mm.
pub const ENCIRCLED_STEP_MM: f64 = 2.0;
/// Encircled lesions: spacing of the ray origins, mm (each answers for
/// its block; the lesions kept are over 16 mm across).
pub const ENCIRCLED_ORIGIN_MM: f64 = 3.0;

/// Encircled lesions: least share of the rays that reach the lung. On the
/// Lung-PET-CT-Dx scans the heart border and the hila stay under 0.7
/// except for vessel stubs, a perihilar mass reaches 0.75-0.95
/// (measured; convention).
pub const ENCIRCLED_MIN_SHARE: f64 = 0.7;

/// Encircled lesions: least inscribed radius of an encircled region in
/// its slice, mm (hilar vessel stubs are thinner; a 16 mm lump is a
/// lesion the nodule unit must see).
pub const ENCIRCLED_MIN_RADIUS_MM: f64 = 8.0;

/// Sternum: largest distance (mm) of sternal bone from the trunk's midline
/// (manubrium up to 55-60 mm wide at the clavicular notches: Selthofer et
/// al., Coll Antropol 2006; clavicular heads lie further out).
pub const STERNUM_HALF_WIDTH_MM: f64 = 30.0;

/// Sternum: the sternum lies within this fraction of the chest's
/// anteroposterior depth from the front skin (subcutaneous tissue and
/// pectoral fascia over it are 5-40 mm; the chest is 180-300 mm deep).
pub const STERNUM_DEPTH_FRACTION: f64 = 0.3;

/// Shoulder: girdle bone in front of this fraction of the chest's depth
/// (from the front) is clavicle, behind it scapula (the clavicle lies on
/// the anterior chest wall, the scapula on the posterior; the acromion
/// meets the clavicle at the lateral edge near mid-depth).
pub const CLAVICLE_MAX_FRACTION: f64 = 0.42;

/// Shoulder: bone thicker than this radius (mm) next to the scapula is the
/// humerus (humeral head radius 20-25 mm, shaft 10-13 mm: Boileau &
/// Walch, JBJS Br 1997); the scapular blade and clavicle are thinner.
pub const HUMERUS_MIN_RADIUS_MM: f64 = 9.5;

/// Ribs: in the upper chest, bone farther than this (mm, in the axial
/// plane) from the lungs is shoulder girdle, not rib (the rib's inner
/// cortex lies 2-5 mm outside the pleura and ribs are 5-10 mm thick; the
/// scapula lies outside the cage beyond the serratus and subscapularis).
pub const RIB_SHELL_MM: f32 = 14.0;

/// Ribs: bone within this distance (mm) beyond the vertebral body's
/// lateral edge is kept whatever its distance from the lungs (rib heads
/// and necks, the first rib's neck above the apex); the scapula's medial
/// border lies 50-70 mm from the midline (Gray's Anatomy, 42nd ed.).
pub const RIB_PARAVERTEBRAL_MM: f64 = 30.0;

/// Ribs: a rib traced as a stub whose lateral reach ends within this
/// distance (mm) of the edge of the paravertebral zone
/// ([`RIB_PARAVERTEBRAL_MM`]) was cut there by the lung-shell filter
/// ([`RIB_SHELL_MM`]), not ended: two coarse voxels (1.4-1.8 mm each).
/// Stubs that are transverse processes or costotransverse remnants end
/// well inside the zone.
pub const RIB_CUT_MARGIN_MM: f64 = 3.0;

/// Ribs: a cut rib's regrowth ([`crate::rib_regrow`]) has leaked when a
/// wave gains more than this many times the median wave so far. Down a
/// rib's shaft the waves keep about one section of the rib (varying by
/// less than half with its course across the grid); a wave entering the
/// scapular blade or the humerus widens at every step.
pub const RIB_REGROW_LEAK_FACTOR: f64 = 3.0;

/// Ribs: waves given up before a leak in a cut rib's regrowth, the bone
/// of the contact between the rib and what it leaked into (a few coarse
/// voxels, 3-8 mm).
pub const RIB_REGROW_ROLLBACK: usize = 2;

/// Lobes: spacing of the working grid, mm (fissures are 1-2 mm thick
/// sheets; a 1.5 mm grid keeps them while costing a tenth of the scan).
pub const LOBE_GRID_MM: f64 = 1.5;

/// Lobes: fissure voxels are darker than this on the working grid (a
/// fissure is -800 to -600 HU after partial volume; vessels and walls it
/// must not be confused with are brighter).
pub const FISSURE_MAX_HU: f32 = -450.0;

/// Lobes: the oblique fissure leaves the posterior chest wall at about the
/// T4-T5 level (Gray's Anatomy; Netter plate 196), about three tenths of
/// the lung's height below the apex.
pub const OBLIQUE_POSTERIOR_DROP: f64 = 0.3;

/// Lobes: the right horizontal fissure runs from the oblique fissure at
/// the mid-axillary line to the anterior chest wall at the 4th costal
/// cartilage, level with the right hilum (Gray's Anatomy; Netter plate
/// 196): about halfway down from the apex to the posterior lung base.
/// Its prior height, as a share of the lung's height below the apex.
pub const HORIZONTAL_PRIOR_BELOW_APEX: f64 = 0.5;

/// Lobes: the lobar bronchi leave their main bronchus or the bronchus
/// intermedius at the hilum, T4-T6 (Netter plates 196 and 203), with the
/// lung apex above the first rib and the posterior base at T10-T11: about
/// 0.3-0.5 of the lung's height below the apex. A landmark outside this
/// generous band (share of the height below the apex) is not a lobar
/// bronchus, and the bronchial tree's names are then not used to place the
/// oblique fissure (a tree grown into noise on a sharp kernel named points
/// at the lung apex "rll" and "lll" and pushed the fissure 120-140 mm up).
pub const LOBAR_BRONCHUS_HEIGHT_BAND: (f64, f64) = (0.15, 0.7);

/// Lobes: an upper (or middle) and a lower lobe bronchus landmark closer
/// than this, mm, are one point of a tree that did not split there (the
/// lobar origins lie 10-25 mm apart: right upper lobe bronchus to middle
/// lobe bronchus about 20 mm, left upper to lower about 10 mm; Netter
/// plate 203), so the names are not used.
pub const LOBAR_BRONCHI_MIN_SEPARATION_MM: f64 = 5.0;

/// Lobes: a fissure whose fitted surface lies on a visible sheet over at
/// least this share of the lung is reported complete (fissures are
/// anatomically complete in about a third to a half of lungs; Raasch et
/// al., Radiology 1993, report completeness by visible extent too).
pub const FISSURE_COMPLETE_SHARE: f64 = 0.8;

/// Lobes: below this visible share a fissure is reported as not seen.
pub const FISSURE_SEEN_SHARE: f64 = 0.2;

/// Lobes: a sheet voxel counts for a fissure when its normal is within
/// this angle of the expected fissure's (the prior is right to about 20
/// degrees; vessel-wall responses point anywhere).
pub const FISSURE_MAX_ANGLE_DEG: f64 = 35.0;

/// Lobes: smallest connected sheet taken as fissure, mm^2 of projected
/// area (fissure candidates are filtered by size as in van Rikxoort et
/// al., Med Phys 2009; vessel-wall fragments are smaller).
pub const FISSURE_MIN_AREA_MM2: f64 = 150.0;

/// Ribs: bone that holds a ball of this radius (mm) is thicker than any
/// rib (rib sections 5-8 mm by 10-15 mm: Mohr et al., Clin Anat 2007,
/// seen up to 1.5 mm thicker on the 2x coarser tracing grid) and belongs
/// to the humerus, glenoid, clavicle or sternum.
pub const RIB_MAX_RADIUS_MM: f64 = 6.5;

/// Lobes: smoothing of the vessel density whose minimum marks a fissure
/// that is not seen, mm (vessels do not cross fissures: the parenchyma
/// within a few mm of a fissure holds only small peripheral vessels;
/// Lassen et al., IEEE TMI 2013, use a vessel-distance cost on this scale).
pub const VESSEL_GAP_SIGMA_MM: f64 = 3.0;

/// Lobes: the surrounding lung whose vessel density a fissure's band is
/// compared with, mm (a few times the band's smoothing: the vessel density
/// changes from hilum to periphery over centimetres, a fissure's band over
/// millimetres).
pub const VESSEL_GAP_CONTEXT_SIGMA_MM: f64 = 12.0;

/// Lobes: floor under the surrounding vessel density, as a share of the
/// lung's mean, so that nearly vessel-free lung (periphery, emphysema)
/// does not make any plane through it look like a fissure.
pub const VESSEL_GAP_CONTEXT_FLOOR: f64 = 0.25;

/// Lobes: a vessel-free plane counts only where it runs through at least
/// this share of the lung's columns (the horizontal fissure spans the
/// anterior third to half of the right lung's footprint).
pub const VESSEL_GAP_MIN_SHARE: f64 = 0.15;

/// Lobes: a vessel-free plane stands for a fissure only when its vessel
/// density is at most this share of the anatomical prior's (a fissure
/// leaves a band nearly free of vessels; on thick or noisy slices the
/// density varies by less than this anywhere).
pub const VESSEL_GAP_CONTRAST: f64 = 0.5;

/// Lobes: the horizontal fissure's vessel-free band is looked for at
/// least this far above the oblique fissure, mm; nearer, the oblique
/// fissure's own band (vessel-poor a few mm either side, smoothed over
/// [`VESSEL_GAP_SIGMA_MM`]) was taken for it and the middle lobe came out
/// a sliver (suite case 018).
pub const HORIZONTAL_GAP_CLEARANCE_MM: f64 = 10.0;

/// Lobes: a vessel-free plane must run through the lung over at least
/// this share of the columns the anatomical prior's plane does; a plane
/// pushed out of the lung over the rest is scored on a corner (the
/// anterior base, where vessels are few: suite case 018's horizontal
/// fissure, 48% of the prior's columns). Planes at real fissures kept
/// 84-110% on the suite.
pub const VESSEL_GAP_MIN_COVERAGE: f64 = 0.7;

/// Lobes: a weaker vessel-free plane (density up to this share of the
/// prior's) stands for a fissure when the fissure sheets, though too few
/// to stand alone, lie on the same plane ([`FISSURE_EVIDENCE_AGREE_MM`]).
pub const VESSEL_GAP_CONFIRMED_CONTRAST: f64 = 0.7;

/// Lobes: two fissure planes from independent evidence (sheets, vessel
/// gap) agree when their mean height difference over the lung is at most
/// this, mm (about two coarse lobe-grid slices; fissures placed by
/// different methods differ by a few mm: van Rikxoort et al., Med Phys
/// 2009, report 1-3 mm mean surface distances between observers).
pub const FISSURE_EVIDENCE_AGREE_MM: f64 = 15.0;

/// Lobes: a fissure plane found by the search replaces the anatomical
/// prior only when its sheets cover at least this share of the lung's
/// columns (at threshold strength); fewer sheets are noise.
pub const FISSURE_MIN_SUPPORT: f64 = 0.05;

/// Bronchi: the lumen threshold lies this far below the lung parenchyma's
/// median density (parenchyma -900 to -800 HU; lumen partial volume in
/// small bronchi sits between lumen and parenchyma).
pub const BRONCHI_THRESHOLD_MARGIN_HU: i16 = 60;

/// Bronchi: bounds of the lumen threshold, HU (-980 keeps emphysematous
/// lungs from being flooded; -880 is the usual upper end of airway
/// region growing, e.g. Tschirren et al., IEEE TMI 2005).
pub const BRONCHI_THRESHOLD_HU: (i16, i16) = (-980, -880);

/// Bronchi: a wave front more than this many times its branch's recent
/// fronts (plus a few voxels) has leaked into the parenchyma (leak
/// detection by front growth, Schlathoelter et al., SPIE 2002).
pub const BRONCHI_LEAK_RATIO: f64 = 2.5;

/// Bronchi: a front larger than this (mm^2 of cross-section) is a leak
/// (the trachea, the widest airway, is under 6 cm^2: Breatnach et al.,
/// AJR 1984).
pub const BRONCHI_MAX_FRONT_MM2: f64 = 700.0;

/// Bronchi: a front smaller than this cross-section (mm^2; a lumen of 1.6
/// mm diameter, below what CT resolves as a bronchus) is noise.
pub const BRONCHI_MIN_FRONT_MM2: f64 = 2.0;

/// Skeleton: bone is looked for at least this far (mm) inside the skin;
/// sharp reconstruction kernels overshoot at the air-skin edge and make a
/// bright rim there (the thinnest subcutaneous cover of ribs, sternum and
/// scapula is still 5 mm or more of skin and fat).
pub const SKIN_MARGIN_MM: f64 = 4.0;

/// Sternum: in-plane opening radius (mm) that removes thin bright lines
/// (edge overshoot, pericardial or cartilage calcification) but keeps the
/// sternum (at least 8 mm thick: Selthofer et al., Coll Antropol 2006).
pub const STERNUM_OPEN_MM: f64 = 1.5;

// Mediastinum and upper abdomen (heart.rs, aorta.rs, abdomen.rs).

/// Aorta: the descending aorta's centre moves less than this (mm, in the
/// axial plane) between seed slices 10 mm apart (it runs nearly straight
/// down beside the spine; tortuous aortas drift a few mm per cm).
pub const SEED_DRIFT_MM: f64 = 12.0;
/// Aorta: the descending aorta's fitted radius changes less than this
/// (mm) between seed slices (it tapers about 1 mm per 10 cm: Hager et
/// al., J Vasc Surg 2002; fits vary by a step or two).
pub const SEED_DR_MM: f64 = 4.0;
/// Aorta: a tracked cross-section smaller than this factor of the seed's
/// radius has left the aorta for a supra-aortic branch (subclavian and
/// common carotid arteries are 3-5 mm in radius against the aorta's
/// 10-16 mm: Hager et al., J Vasc Surg 2002).
pub const AORTA_BRANCH_SHRINK: f64 = 0.65;
/// Aorta: below the seed the descending aorta keeps at least this factor
/// of the seed's radius (it narrows from about 13 to 11 mm in radius
/// between the mid-thorax and the hiatus: Hager et al., J Vasc Surg 2002).
pub const AORTA_TAPER: f64 = 0.8;
/// Aorta: the descending aorta lost while tracking it up or down (the
/// left atrium or a node pressed against its front reads as one
/// soft-tissue mass with it) is looked for again up to this far (mm)
/// beyond where it was lost (the left atrium spans 35-45 mm
/// craniocaudally: Lang et al., JASE 2015).
pub const AORTA_BRIDGE_MM: f64 = 48.0;
/// Aorta: ... within this distance (mm, axial) of where it was lost (it
/// runs nearly straight up beside the spine, cf. [`SEED_DRIFT_MM`]).
pub const AORTA_BRIDGE_DRIFT_MM: f64 = 10.0;
/// Aorta: ... as a disc at most this factor of the seed's radius (and at
/// least [`AORTA_TAPER`] of it).
pub const AORTA_BRIDGE_GROWTH: f64 = 1.3;
/// Aorta: ... that can itself be tracked on for this many steps (a
/// round blob of a few millimetres is not the aorta going on).
pub const AORTA_BRIDGE_CONFIRM: usize = 3;
/// Aorta: ... and, upwards, only when the track, at its highest so far, has come no
/// more than this far (mm) forwards of the seed (the descending aorta
/// runs up beside the spine, drifting a few millimetres backwards; the
/// arch turns forwards over the left main bronchus).
pub const AORTA_BRIDGE_FORWARD_MM: f64 = 10.0;
/// Aorta: at most this many such gaps are bridged.
pub const AORTA_BRIDGES: usize = 2;
/// Aorta: below where the tracker loses its wall (the hiatus, the crura)
/// the descending aorta is carried on straight, while its lumen shows, at
/// most this far (mm): through the aortic hiatus (at T12, 20-30 mm of
/// crura) to the coeliac trunk just below it (Gray's Anatomy, 42nd ed.),
/// beyond which a chest CT seldom reaches.
pub const AORTA_EXTRAPOLATE_MM: f64 = 60.0;
/// Tubes ([`crate::tubes::extrapolate`]): least share of the inner disc's
/// samples that must be lumen (noise may push a few blood samples out of
/// the lumen range).
pub const TUBE_LUMEN_SHARE: f64 = 0.75;

/// Tube walls ([`crate::tube_wall`]): rays cast per cross-section (every
/// 11.25 degrees; more adds little once the edges are averaged by a fit).
pub const WALL_RAYS: usize = 32;
/// Tube walls: a ray's smoothed profile leaves the lumen where it falls
/// this far below it, HU (blood and wall 30-60 HU, mediastinal fat -120
/// to -80 HU: a fall of 40 HU is past the noise of a profile averaged
/// over a 1.25 mm run and a 2 mm slab, and short of fat).
pub const WALL_EDGE_DROP_HU: f64 = 40.0;
/// Tube walls: least contrast between the lumen and what lies beyond the
/// fall (median of 3 mm) for an edge, HU: fat is about 130 HU below
/// blood, lung more; a soft-tissue neighbour (heart, pulmonary artery,
/// oesophagus, crus) touching the wall is not an edge.
pub const WALL_EDGE_MIN_CONTRAST_HU: f64 = 90.0;
/// Tube walls: most contrast counted for an edge, HU: blood (30-50 HU)
/// against mediastinal fat (-80 to -120 HU). Lung a few millimetres
/// beyond a thin fat layer must not pull the half level out to the
/// fat-lung edge (the aorta would read a millimetre wide where it runs
/// beside the lung).
pub const WALL_EDGE_MAX_CONTRAST_HU: f64 = 150.0;
/// Tube walls: fewest rays with an edge for a refit (a third of the rim).
pub const WALL_MIN_EDGES: usize = 11;
/// Tube walls: largest angular gap between edges of a refit, degrees (a
/// circle fitted to less than half its rim is poorly constrained).
pub const WALL_MAX_GAP_DEG: f64 = 150.0;
/// Tube walls: HU range of the lumen (median of the inner half of the
/// disc) for a refit: blood and wall without contrast (the aorta's
/// [`crate::aorta::AORTA_SPEC`] lumen range).
pub const WALL_LUMEN_HU: (f64, f64) = (-20.0, 130.0);
/// Tube walls: an edge nearer the tracked centre than this share of the
/// tracked radius is not the outer wall (a fat cleft, or noise).
pub const WALL_EDGE_MIN_SHARE: f64 = 0.6;
/// Tube walls: a refit moving the centre further than this share of the
/// tracked radius, and at least this many mm, fitted something else.
pub const WALL_MAX_SHIFT: (f64, f64) = (0.3, 2.0);
/// Tube walls: a refit radius outside these shares of the tracked one
/// fitted something else (the tracker's radius is on a 1 mm grid and
/// off by a millimetre or two, not by a quarter of the vessel).
pub const WALL_RADIUS_CHANGE: (f64, f64) = (0.75, 1.3);
/// Tube walls: an edge further than this (mm) off the first fit is
/// dropped before the second (a node or a vessel beside the wall).
pub const WALL_OUTLIER_MM: f64 = 1.5;
/// Aorta: a descending-aorta candidate with at least
/// [`AORTA_FRONT_BONE_MIN_MM`] of bone on a ray within this distance (mm)
/// straight in front of its wall lies behind the vertebral body (the
/// spinal canal; vertebral bodies are 25-35 mm deep at T4-T10).
pub const AORTA_FRONT_BONE_MM: f64 = 30.0;
/// Aorta: see [`AORTA_FRONT_BONE_MM`] (a few millimetres: more than a
/// calcified plaque or node on the way, less than a vertebral body's
/// cortex front and back and its cancellous bone).
pub const AORTA_FRONT_BONE_MIN_MM: f64 = 4.0;
/// Aorta: at most this share of the ring around a descending-aorta
/// candidate is bone (the aorta lies against the left front of the
/// vertebral body, a quarter of its circumference at most; the spinal
/// canal, also round and fluid-filled, is walled by bone all round).
pub const AORTA_MAX_BONE_SHARE: f64 = 0.4;
/// Aorta: the ascending aorta is at least this factor of the descending
/// aorta's radius (ascending 30-37 mm across, mid-descending 24-29 mm:
/// Hager et al., J Vasc Surg 2002, a ratio of 1.2-1.3), while the SVC
/// beside it is smaller (about 20 mm across) but may fit as wide as the
/// descending aorta where it enters a large right atrium.
pub const ASCENDING_MIN_RATIO: f64 = 1.15;
/// Aorta: the ascending aorta's centre lies at most this far (mm) to the
/// right of the lungs' midline: it runs up behind the right half of the
/// sternum (the sternum is 25-50 mm wide; even a 6 cm aneurysm keeps its
/// centre within about 4 cm of the midline), while the SVC and the right
/// atrium form the right border of the mediastinum further out (Gray's
/// Anatomy, 42nd ed.).
pub const ASCENDING_MAX_RIGHT_MM: f64 = 45.0;
/// Aorta: the ascending aorta's centre lies at most this far (mm) to the
/// left of the lungs' midline (and not left of the descending aorta's
/// top): the aortic orifice lies behind the left half of the sternum and
/// the ascending aorta runs up, forwards and to the right from it, while
/// the pulmonary trunk, as wide, rises further left, in front of the
/// ascending aorta's left side (Gray's Anatomy, 42nd ed.). On the phantom
/// suite the pulmonary trunk's centre lay 11-14 mm left of the midline
/// where the ascending aorta's lay within 8 mm of it.
pub const ASCENDING_MAX_LEFT_MM: f64 = 5.0;
/// Aorta: tracked down from where it was found, the ascending aorta has
/// entered the heart when its cross-section grows wider than this factor
/// of the found radius: the sinuses of Valsalva are about 1.2-1.3 times
/// the tubular ascending aorta (34 against 29 mm in men: Roman et al., Am
/// J Cardiol 1989). 1.4, which let the track follow a fusiform aneurysm
/// found at its narrower upper end, took a large heart's outflow into the
/// aorta (phantom_heart_size seed 2: heart 791 -> 575 mL, cardiomegaly
/// missed), so the upper end of the sinuses stands.
pub const ASCENDING_ROOT_GROWTH: f64 = 1.25;
/// Aorta: a cross-section tracked over the arch and down the ascending
/// aorta larger than this factor of the descending seed's radius has run
/// into the heart or a mass (the ascending aorta is at most about 1.4
/// times the mid-descending diameter: 30-37 against 24-29 mm, Hager et
/// al., J Vasc Surg 2002; the sinus of Valsalva, wider still, is the
/// root, where the heart begins).
pub const ARCH_MAX_GROWTH: f64 = 1.5;
/// Aorta: below an arch track's end, the ascending aorta is followed down
/// while no wider than this factor of the descending seed's radius: an
/// ascending aneurysm of 5-6 cm against a descending aorta of 25-30 mm
/// (surgery is advised from 5.5 cm: Isselbacher et al., ACC/AHA 2022);
/// wider is the heart.
pub const ASCENDING_MAX_GROWTH: f64 = 2.0;
/// Aorta: an arch track has reached the ascending aorta when it comes
/// down at least this far (mm) below its highest point (the arch apex
/// lies 40-60 mm above the aortic root: Redheuil et al., JACC 2011 report
/// arch heights of 30-45 mm above the pulmonary-artery level).
pub const ARCH_MIN_DESCENT_MM: f64 = 30.0;
/// Aorta: the ascending aorta lies at least this far (mm) in front of the
/// top of the descending aorta (the arch spans 50-80 mm front to back in
/// adults: arch width, Redheuil et al., JACC 2011).
pub const ARCH_MIN_DEPTH_MM: f64 = 20.0;
/// Aorta: the way down of an arch track (the ascending aorta, or the
/// pulmonary trunk it must not be) is where it runs more than this far
/// (mm) below its highest point: the arch's own curve spans about the top
/// 15 mm (cf. the arch segment's naming in `aorta::name_segments`).
pub const ARCH_LIMB_BELOW_APEX_MM: f64 = 15.0;
/// Aorta: a gap (mm, wall to wall) between the ascending aorta tracked
/// upwards and the top of the descending aorta that is closed with a
/// straight tube; longer gaps are left open rather than guessed (two
/// tracking steps of 4 mm, the most the tracker may miss).
pub const ARCH_MAX_GAP_MM: f64 = 8.0;
/// Aorta: arch tracks are started from (every other one of) this many
/// of the highest descending cross-sections, 4 mm apart: the top 8 cm,
/// which may hold the left subclavian artery (it continues the descending
/// aorta's vertical course for 4-6 cm above the arch before leaving the
/// mediastinum) above the junction with the arch.
pub const ARCH_START_STEPS: usize = 20;
/// Aorta: the descending aorta tracked upwards is not followed more than
/// this far (mm) above the carina: the arch's top lies 15-40 mm above it
/// (the aortic arch reaches the level of the T2-T3 disc or the second
/// costal cartilage, the carina lies at T4-T5: Gray's Anatomy, 42nd ed.;
/// 15-39 mm on the 20 cases of the phantom suite); above that, the track
/// has gone on up the oesophagus or the left subclavian artery.
pub const AORTA_MAX_ABOVE_CARINA_MM: f64 = 60.0;
/// Aorta: the arch leaves the descending aorta no lower than this far
/// (mm) below the carina: the aortic isthmus, where the arch ends, lies
/// at T4, at about the carina's level (Gray's Anatomy, 42nd ed.). Arch
/// tracks started lower (a dilated descending aorta, the left atrium)
/// would cut the descending aorta short.
pub const ARCH_START_BELOW_CARINA_MM: f64 = 15.0;
/// Aorta: without a carina, the lowest point of a tracked trachea stands
/// for it when the trachea spans at least this far (mm) down (the
/// intrathoracic trachea is 60-80 mm long; the airway unit's trachea
/// ended within 15 mm above the true carina on the phantom suite's cases
/// without one).
pub const TRACHEA_MIN_SPAN_MM: f64 = 40.0;

/// Heart: opening radius that parts the heart from chest wall, vessels and
/// oesophagus (their contacts are a few mm; the heart is 80-120 mm across).
pub const HEART_OPEN_MM: f64 = 7.0;
/// Heart: soft tissue (blood, myocardium) is above this on the smoothed work
/// grid: halfway between myocardium (~40 HU) and fat (~-100 HU).
pub const HEART_MIN_HU: f32 = -30.0;
/// Heart: above this a voxel is bone (trabecular bone of the spine is 100-300
/// HU), not heart; calcium inside the outline is filled back in.
pub const HEART_MAX_HU: f32 = 140.0;
/// Heart: epicardial fat lies within this distance of the myocardium, mm
/// (epicardial fat thickness 1-15 mm: Iacobellis, Nat Rev Endocrinol 2015).
pub const SAC_FAT_MM: f64 = 9.0;
/// Heart: the densest epicardial fat is below [`HEART_MIN_HU`]; this is
/// its low end (adipose tissue -190..-30 HU: Yoshizumi et al., Radiology
/// 1999).
pub const SAC_FAT_MIN_HU: f32 = -190.0;
/// Heart: tissue with lung this close above it (mm) lies under a lung
/// base, i.e. under the diaphragm (the diaphragm is 2-5 mm thick and the
/// costophrenic recesses reach down beside the liver and spleen).
pub const SUBPHRENIC_MM: f64 = 16.0;
/// Heart: the heart's opened soft tissue holds a ball of at least this
/// radius, mm (the cardiac mass is 80-120 mm across in adults; a small
/// heart of 300 mL is still about 40 mm thick where the ventricles meet).
pub const HEART_MIN_DEPTH_MM: f64 = 18.0;
/// Heart: the top of the aortic arch lies at least this far below the
/// lung apices (the arch tops out at T3-T4, the apices rise above the
/// first rib at T1; 30-60 mm), or the aorta's arch is not trusted.
pub const ARCH_BELOW_APEX_MM: f64 = 15.0;
/// Heart: the heart's centre lies within this share of the lungs' height
/// above their lowest point (the posterior costophrenic recesses reach
/// 40-80 mm below the cardiac base; the centre is at about T8, a third
/// of the way up the lungs).
pub const HEART_CENTRE_SHARE: (f64, f64) = (0.12, 0.6);
/// Heart: the heart's seed has no lung above it within this distance, mm
/// (the liver dome and spleen rise 20-50 mm into the lung bases and are
/// roofed by lung; above the heart's centre lie its base, the left
/// atrium and the great vessels).
pub const SEED_CLEAR_ABOVE_MM: f64 = 50.0;
/// Heart: a heart smaller than this (mL) is not believed (adult heart
/// volume on CT 400-1100 mL: Stolzmann et al., Eur Radiol 2008).
pub const HEART_MIN_ML: f64 = 150.0;
/// Heart: a heart larger than this (mL) has leaked into its neighbours.
pub const HEART_MAX_ML: f64 = 2000.0;

/// Liver: half-width of the liver's HU band around its own median (liver
/// parenchyma varies about 10 HU at 5 mm; vessels without contrast are
/// 10-20 HU below it; steatosis moves the median, not the width).
pub const LIVER_BAND_HU: f32 = 22.0;
/// Liver: opening radius parting the liver from its neighbours (diaphragm
/// 2-5 mm, intercostal muscle and stomach wall 3-5 mm thick), mm.
pub const LIVER_OPEN_MM: f64 = 5.0;
/// Liver: depth of the liver seed under the lowest lung voxel of the dome
/// column, mm: below the diaphragm (2-5 mm thick) and the partial volume
/// of the lung base on 5-8 mm slices, inside the dome of the liver.
pub const LIVER_SEED_DEPTH_MM: f64 = 20.0;
/// Liver: a liver part smaller than this (mL) counts as not in view.
pub const LIVER_MIN_ML: f64 = 20.0;
/// Spleen: HU range on non-contrast CT (about 45-50 HU: Boyce et al.,
/// AJR 2010).
pub const SPLEEN_HU: (f32, f32) = (25.0, 75.0);
/// Stomach: gas is below this HU (air -1000; partial volume at the wall).
pub const GAS_MAX_HU: f32 = -500.0;
/// Abdomen: smallest spleen or stomach part reported, mL (smaller is "not
/// in field of view").
pub const ORGAN_MIN_ML: f64 = 15.0;

/// Aorta: length of the root (annulus, sinuses and sinotubular junction)
/// at the bottom of the ascending aorta, mm (sinus height about 20 mm in
/// adults: Vriz et al., Am J Cardiol 2013).
pub const AORTIC_ROOT_MM: f64 = 20.0;

/// Ribs: head clusters of one component closer in height than this (mm)
/// are one rib's head and tubercle, parted by the vertebral zone left out
/// around the column; two ribs' heads lie a vertebral level apart (thoracic
/// body 17-25 mm high plus a 3-6 mm disc: Gray's Anatomy, 42nd ed.).
pub const RIB_HEAD_MERGE_MM: f64 = 10.0;

/// Skeleton: a slice's vertebral-body half width may exceed the median of
/// the widths in the [`SPINE_WIDTH_WINDOW_MM`] below it by at most this
/// ratio. Thoracic bodies widen steadily from T1 down to T12, a few
/// percent per level (Panjabi et al., Spine 1991), so a larger step is
/// other bone (first ribs' heads, the long transverse processes of C7 and
/// T1) fused with the body on the density map.
pub const SPINE_WIDTH_CAP_RATIO: f64 = 1.3;

/// Skeleton: the stretch of column below a slice (mm, about two and a half
/// levels) whose median width caps the slice's
/// ([`SPINE_WIDTH_CAP_RATIO`]).
pub const SPINE_WIDTH_WINDOW_MM: f64 = 60.0;

/// Ribs, re-partition by sweep ([`crate::rib_sweep`]): angular bin (degrees
/// round the chest's centre). At 3 degrees a bin spans 5-8 mm of a rib at
/// the chest wall's 100-150 mm radius, under the 10-20 mm between ribs.
pub const RIB_SWEEP_BIN_DEG: f64 = 3.0;

/// Ribs, re-partition by sweep: the farthest (mm) a run may lie from a
/// rib's expected height to be claimed by it; under half the spacing of
/// neighbouring ribs (about 20-25 mm centre to centre at the chest wall).
pub const RIB_SWEEP_TOLERANCE_MM: f64 = 8.0;

/// Ribs, re-partition by sweep: how much nearer (mm) a run traced wholly
/// as a rib's own counts for that rib than its distance says; as much as
/// sharing a run costs ([`RIB_SWEEP_SHARE_MM`]), so a rib whose followed
/// height drifted into a merged run (the first rib glued to the clavicle,
/// shafts touching on thick slices) takes its own run nearby instead.
pub const RIB_SWEEP_OWN_BONUS_MM: f64 = 4.0;

/// Ribs, re-partition by sweep: a rib that claims no run over this many
/// degrees has ended (ribs 11 and 12 end at the side).
pub const RIB_SWEEP_MAX_GAP_DEG: f64 = 12.0;

/// Ribs, re-partition by sweep: a rib holding less than this share of a
/// run it shares with another traced none of it (the run is the other
/// rib's, or bone merged with it); see [`RIB_SWEEP_OWN_RUN_SHARE`].
pub const RIB_SWEEP_FOREIGN_SHARE: f64 = 0.1;

/// Ribs, re-partition by sweep: the least share of a run traced as a
/// rib's own for the rib, sharing a run that is not its own
/// ([`RIB_SWEEP_FOREIGN_SHARE`]), to prefer that run when nobody claims
/// it (most of it was traced as the rib, apart from its neighbours) over
/// the first free run below the shared one.
pub const RIB_SWEEP_OWN_RUN_SHARE: f64 = 0.8;

/// Ribs, re-partition by sweep: the extra cost (mm) of two ribs sharing
/// one run rather than each taking its own; touching ribs share a run,
/// a rib lagging behind its steep front does not take its neighbour's.
pub const RIB_SWEEP_SHARE_MM: f64 = 4.0;

/// Bronchi: largest lumen volume of the bronchial tree below the carina
/// that CT resolves, mL. The airway lumen from the main bronchi to the
/// segmental and subsegmental bronchi holds about 20-60 mL in adults
/// (Weibel's model: about 70 mL down to generation 8 with the trachea's
/// 30-40 mL; CT airway-tree volumes, e.g. Tschirren et al., IEEE TMI 2005,
/// are of that order). A larger grown tree has leaked into the
/// parenchyma (127 mL on phantom seed 21, whose left upper lobe it
/// carved out of the lung mask).
pub const BRONCHI_MAX_ML: f64 = 80.0;

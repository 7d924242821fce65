//! DICOM Segmentation (`seg.dcm`): binary, one segment per finding that
//! has mask voxels in `lesions.nii.gz`, frames only on the slices where a
//! segment has voxels (segment by segment, slices in volume order).
//!
//! Each frame's Per-frame Functional Groups hold the Derivation Image
//! (the source CT slice, purpose 121322), Frame Content (dimension index:
//! segment number, slice index + 1), Plane Position (the source slice's
//! Image Position) and Segment Identification. Orientation and pixel
//! measures are shared. Pixels are 1 bit, packed by hand: frames follow
//! each other without padding, least significant bit first (PS3.5 §8.1.1).

use std::path::Path;

use dicom_core::VR;
use dicom_dictionary_std::{tags, uids};
use volume::Volume;

use super::{DicomSource, Obj, ObjectUids, clip, code_item, contributing_equipment, now};
use crate::ReportError;
use crate::codes::{self, Code};

/// A segment written: its number and the finding it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Segment Number (1-based).
    pub number: u16,
    /// The finding id.
    pub finding_id: String,
    /// Its label in lesions.nii.gz.
    pub label: u32,
}

/// Segments of the findings that have voxels, in finding order.
pub fn segments(findings: &[aisu::Finding], lesions: &Volume<u16>) -> Vec<Segment> {
    let mut present = std::collections::BTreeSet::new();
    for &v in lesions.as_slice() {
        if v != 0 {
            present.insert(u32::from(v));
        }
    }
    findings
        .iter()
        .filter(|f| present.contains(&f.mask_label))
        .enumerate()
        .map(|(i, f)| Segment {
            number: (i + 1) as u16,
            finding_id: f.id.clone(),
            label: f.mask_label,
        })
        .collect()
}

/// Writes `seg.dcm`; returns the segments written.
pub fn write_seg(
    path: &Path,
    findings: &[aisu::Finding],
    lesions: &Volume<u16>,
    source: &DicomSource,
    uids: &ObjectUids,
) -> Result<Vec<Segment>, ReportError> {
    let g = *lesions.geometry();
    if !g.same_grid(&source.geometry, 1e-3) {
        return Err(ReportError::Inconsistent(
            "lesions.nii.gz is not on the grid of the source series".into(),
        ));
    }
    let m = &source.meta;
    let [nx, ny, nz] = g.dims;
    if m.slice_sop_instance_uids.len() != nz {
        return Err(ReportError::Unsupported(format!(
            "the source lists {} slice SOP Instance UIDs for {nz} slices",
            m.slice_sop_instance_uids.len()
        )));
    }
    let series_uid = m
        .series_uid
        .clone()
        .ok_or_else(|| ReportError::Unsupported("the source has no Series Instance UID".into()))?;
    let frame_uid = m.frame_of_reference_uid.clone().ok_or_else(|| {
        ReportError::Unsupported("the source has no Frame of Reference UID".into())
    })?;
    let source_class = m
        .sop_class_uid
        .clone()
        .unwrap_or_else(|| uids::CT_IMAGE_STORAGE.to_string());
    let segs = segments(findings, lesions);
    if segs.is_empty() {
        return Err(ReportError::Unsupported(
            "no finding has voxels in lesions.nii.gz: no segmentation to write".into(),
        ));
    }
    // Which (segment, slice) pairs have voxels.
    let data = lesions.as_slice();
    let plane = nx * ny;
    let mut has = vec![vec![false; nz]; segs.len()];
    let index_of = |label: u16| segs.iter().position(|s| s.label == u32::from(label));
    for z in 0..nz {
        for &v in &data[z * plane..(z + 1) * plane] {
            if v != 0
                && let Some(k) = index_of(v)
            {
                has[k][z] = true;
            }
        }
    }
    let has = &has;
    let frames: Vec<(usize, usize)> = (0..segs.len())
        .flat_map(|k| (0..nz).filter(move |&z| has[k][z]).map(move |z| (k, z)))
        .collect();
    // Pixel data: 1 bit per pixel, LSB first, frames back to back.
    let mut bits = vec![0u8; (frames.len() * plane).div_ceil(8)];
    for (f, &(k, z)) in frames.iter().enumerate() {
        let label = segs[k].label;
        for (i, &v) in data[z * plane..(z + 1) * plane].iter().enumerate() {
            if u32::from(v) == label {
                let bit = f * plane + i;
                bits[bit / 8] |= 1 << (bit % 8);
            }
        }
    }
    if bits.len() % 2 == 1 {
        bits.push(0);
    }

    let (date, time) = now();
    let mut o = Obj::new();
    super::patient_and_study(&mut o, m)?;
    o.texts(
        tags::IMAGE_TYPE,
        VR::CS,
        &["DERIVED".into(), "PRIMARY".into()],
    )
    .text(tags::INSTANCE_CREATION_DATE, VR::DA, &date)
    .text(tags::INSTANCE_CREATION_TIME, VR::TM, &time)
    .text(tags::CONTENT_DATE, VR::DA, &date)
    .text(tags::CONTENT_TIME, VR::TM, &time)
    .text(tags::MODALITY, VR::CS, "SEG")
    .text(tags::SERIES_INSTANCE_UID, VR::UI, &uids.seg_series)
    .text(tags::SERIES_NUMBER, VR::IS, "901")
    .text(
        tags::SERIES_DESCRIPTION,
        VR::LO,
        "airad findings (PRELIMINARY)",
    )
    .text(tags::INSTANCE_NUMBER, VR::IS, "1")
    .text(tags::FRAME_OF_REFERENCE_UID, VR::UI, &frame_uid)
    .text(tags::POSITION_REFERENCE_INDICATOR, VR::LO, "")
    .text(tags::MANUFACTURER, VR::LO, "airad")
    .text(tags::MANUFACTURER_MODEL_NAME, VR::LO, "airad")
    .text(tags::DEVICE_SERIAL_NUMBER, VR::LO, "0")
    .text(tags::SOFTWARE_VERSIONS, VR::LO, env!("CARGO_PKG_VERSION"))
    .seq(
        tags::CONTRIBUTING_EQUIPMENT_SEQUENCE,
        contributing_equipment(&super::units_of(findings)),
    );
    // Image pixel, multi-frame, segmentation image.
    o.us(tags::SAMPLES_PER_PIXEL, 1)
        .text(tags::PHOTOMETRIC_INTERPRETATION, VR::CS, "MONOCHROME2")
        .text(tags::NUMBER_OF_FRAMES, VR::IS, &frames.len().to_string())
        .us(tags::ROWS, ny as u16)
        .us(tags::COLUMNS, nx as u16)
        .us(tags::BITS_ALLOCATED, 1)
        .us(tags::BITS_STORED, 1)
        .us(tags::HIGH_BIT, 0)
        .us(tags::PIXEL_REPRESENTATION, 0)
        .text(tags::LOSSY_IMAGE_COMPRESSION, VR::CS, "00")
        .text(tags::SEGMENTATION_TYPE, VR::CS, "BINARY")
        .text(tags::SEGMENTS_OVERLAP, VR::CS, "NO")
        .text(tags::CONTENT_LABEL, VR::CS, "AIRAD_FINDINGS")
        .text(
            tags::CONTENT_DESCRIPTION,
            VR::LO,
            "airad findings, preliminary, not signed",
        )
        .text(tags::CONTENT_CREATOR_NAME, VR::PN, "")
        .text(tags::PRESENTATION_LUT_SHAPE, VR::CS, "IDENTITY");
    let by_id = |id: &str| findings.iter().find(|f| f.id == id);
    let segment_items = segs
        .iter()
        .filter_map(|s| by_id(&s.finding_id).map(|f| (s, f)))
        .map(|(s, f)| {
            let title = aisu::catalogue::entry(&f.code).map_or("finding", |e| e.title);
            let mut alg = Obj::new();
            alg.seq(
                tags::ALGORITHM_FAMILY_CODE_SEQUENCE,
                vec![code_item(&Code::dcm("123110", "Artificial Intelligence"))],
            )
            .text(tags::ALGORITHM_NAME, VR::LO, &clip(&f.aisu.id, 64))
            .text(tags::ALGORITHM_VERSION, VR::LO, &clip(&f.aisu.version, 64));
            let mut item = Obj::new();
            item.us(tags::SEGMENT_NUMBER, s.number)
                .text(
                    tags::SEGMENT_LABEL,
                    VR::LO,
                    &clip(&format!("{} {title}", f.id), 64),
                )
                .text(tags::SEGMENT_ALGORITHM_TYPE, VR::CS, "AUTOMATIC")
                .text(tags::SEGMENT_ALGORITHM_NAME, VR::LO, &clip(&f.aisu.id, 64))
                .seq(
                    tags::SEGMENTATION_ALGORITHM_IDENTIFICATION_SEQUENCE,
                    vec![alg],
                )
                .seq(
                    tags::SEGMENTED_PROPERTY_CATEGORY_CODE_SEQUENCE,
                    vec![code_item(&Code::sct(
                        "49755003",
                        "Morphologically Abnormal Structure",
                    ))],
                )
                .seq(
                    tags::SEGMENTED_PROPERTY_TYPE_CODE_SEQUENCE,
                    vec![code_item(&codes::finding(&f.code))],
                )
                .text(tags::TRACKING_ID, VR::UT, &f.id)
                .text(
                    tags::TRACKING_UID,
                    VR::UI,
                    uids.tracking_of(&f.id).unwrap_or_default(),
                );
            item
        })
        .collect();
    o.seq(tags::SEGMENT_SEQUENCE, segment_items);
    // Dimensions: segment number, then image position.
    let dim_uid = imaging_io::uid::random_uid(imaging_io::uid::UUID_ROOT).unwrap_or_default();
    let mut org = Obj::new();
    org.text(tags::DIMENSION_ORGANIZATION_UID, VR::UI, &dim_uid);
    let dim = |pointer, group, label: &str| {
        let mut d = Obj::new();
        d.text(tags::DIMENSION_ORGANIZATION_UID, VR::UI, &dim_uid)
            .at(tags::DIMENSION_INDEX_POINTER, pointer)
            .at(tags::FUNCTIONAL_GROUP_POINTER, group)
            .text(tags::DIMENSION_DESCRIPTION_LABEL, VR::LO, label);
        d
    };
    o.seq(tags::DIMENSION_ORGANIZATION_SEQUENCE, vec![org]).seq(
        tags::DIMENSION_INDEX_SEQUENCE,
        vec![
            dim(
                tags::REFERENCED_SEGMENT_NUMBER,
                tags::SEGMENT_IDENTIFICATION_SEQUENCE,
                "Referenced Segment Number",
            ),
            dim(
                tags::IMAGE_POSITION_PATIENT,
                tags::PLANE_POSITION_SEQUENCE,
                "Image Position Patient",
            ),
        ],
    );
    // Shared functional groups.
    let [row, col] = [g.direction[0], g.direction[1]];
    let mut orient = Obj::new();
    orient.ds(
        tags::IMAGE_ORIENTATION_PATIENT,
        &[row[0], row[1], row[2], col[0], col[1], col[2]],
    );
    let mut measures = Obj::new();
    let thickness = m
        .slice_thickness_mm
        .filter(|t| *t > 0.0)
        .unwrap_or(g.spacing[2]);
    measures
        .ds(tags::SLICE_THICKNESS, &[thickness])
        .ds(tags::SPACING_BETWEEN_SLICES, &[g.spacing[2]])
        .ds(tags::PIXEL_SPACING, &[g.spacing[1], g.spacing[0]]);
    let mut shared = Obj::new();
    shared
        .seq(tags::PLANE_ORIENTATION_SEQUENCE, vec![orient])
        .seq(tags::PIXEL_MEASURES_SEQUENCE, vec![measures]);
    o.seq(tags::SHARED_FUNCTIONAL_GROUPS_SEQUENCE, vec![shared]);
    // Per-frame functional groups.
    let source_ref = |z: usize| -> Option<Obj> {
        let uid = m.slice_sop_instance_uids.get(z)?.as_ref()?;
        let mut r = Obj::new();
        r.text(tags::REFERENCED_SOP_CLASS_UID, VR::UI, &source_class)
            .text(tags::REFERENCED_SOP_INSTANCE_UID, VR::UI, uid);
        Some(r)
    };
    let per_frame = frames
        .iter()
        .map(|&(k, z)| {
            let mut fg = Obj::new();
            if let Some(mut src) = source_ref(z) {
                src.text(tags::SPATIAL_LOCATIONS_PRESERVED, VR::CS, "YES")
                    .seq(
                        tags::PURPOSE_OF_REFERENCE_CODE_SEQUENCE,
                        vec![code_item(&Code::dcm(
                            "121322",
                            "Source image for image processing operation",
                        ))],
                    );
                let mut deriv = Obj::new();
                deriv.seq(tags::SOURCE_IMAGE_SEQUENCE, vec![src]).seq(
                    tags::DERIVATION_CODE_SEQUENCE,
                    vec![code_item(&Code::dcm("113076", "Segmentation"))],
                );
                fg.seq(tags::DERIVATION_IMAGE_SEQUENCE, vec![deriv]);
            }
            let mut content = Obj::new();
            content.ul(
                tags::DIMENSION_INDEX_VALUES,
                &[u32::from(segs[k].number), z as u32 + 1],
            );
            let mut pos = Obj::new();
            pos.ds(
                tags::IMAGE_POSITION_PATIENT,
                &g.index_to_lps([0.0, 0.0, z as f64]),
            );
            let mut ident = Obj::new();
            ident.us(tags::REFERENCED_SEGMENT_NUMBER, segs[k].number);
            fg.seq(tags::FRAME_CONTENT_SEQUENCE, vec![content])
                .seq(tags::PLANE_POSITION_SEQUENCE, vec![pos])
                .seq(tags::SEGMENT_IDENTIFICATION_SEQUENCE, vec![ident]);
            fg
        })
        .collect();
    o.seq(tags::PER_FRAME_FUNCTIONAL_GROUPS_SEQUENCE, per_frame);
    // Common instance reference: every source slice.
    let instances: Vec<Obj> = (0..nz).filter_map(source_ref).collect();
    let mut series = Obj::new();
    series
        .seq(tags::REFERENCED_INSTANCE_SEQUENCE, instances)
        .text(tags::SERIES_INSTANCE_UID, VR::UI, &series_uid);
    o.seq(tags::REFERENCED_SERIES_SEQUENCE, vec![series]);
    o.bytes(tags::PIXEL_DATA, VR::OB, bits);
    super::write_file(path, o, uids::SEGMENTATION_STORAGE, &uids.seg_instance)?;
    Ok(segs)
}

//! The spine unit's rib tracing handed on as an artefact,
//! `values:rib_candidates`, so that `airad.ribs` numbers and masks the
//! ribs the level count was anchored on instead of tracing them again
//! (the tracing was over half of each unit's time; see
//! [`crate::ribs_detect`]).
//!
//! Layout (JSON): `block`, `crop_lo`, `crop_n` and `n` describe the coarse
//! grid ([`Coarse`]); `ribs` lists each candidate's facts and its coarse
//! voxels as runs of consecutive linear indices, `[start, length, ...]`.
//! A unit that reads it checks the grid against its own CT and body; on
//! any mismatch the ribs are traced again.

use serde_json::{Value, json};

use crate::ribs_detect::{Coarse, RibCandidate, RibDetection};
use crate::skeleton::Crop;

/// The artefact's name.
pub(crate) const RIB_CANDIDATES: &str = "values:rib_candidates";

/// Encodes a detection.
pub(crate) fn encode(det: &RibDetection) -> Value {
    let c = &det.coarse;
    let ribs: Vec<Value> = det
        .ribs
        .iter()
        .map(|r| {
            json!({
                "left": r.left,
                "head_z_mm": r.head_z_mm,
                "tubercle_z_mm": r.tubercle_z_mm,
                "long": r.long,
                "lateral_mm": r.lateral_mm,
                "height_mm": r.height_mm,
                "fused": r.fused,
                "stub": r.stub,
                "runs": runs(&r.voxels),
            })
        })
        .collect();
    json!({
        "block": c.f,
        "crop_lo": c.crop.lo,
        "crop_n": c.crop.n,
        "n": c.n,
        "ribs": ribs,
    })
}

/// Decodes a detection traced on `expected` (the grid the reading unit
/// would trace on); `None` when the artefact is malformed or was traced
/// on another grid.
pub(crate) fn decode(value: &Value, expected: &Coarse) -> Option<RibDetection> {
    let triple = |key: &str| -> Option<[usize; 3]> {
        let a = value.get(key)?.as_array()?;
        let v: Vec<usize> = a
            .iter()
            .map(|x| x.as_u64().map(|x| x as usize))
            .collect::<Option<_>>()?;
        v.try_into().ok()
    };
    let coarse = Coarse {
        f: value.get("block")?.as_u64()? as usize,
        crop: Crop {
            lo: triple("crop_lo")?,
            n: triple("crop_n")?,
        },
        n: triple("n")?,
    };
    if coarse.f != expected.f || coarse.crop != expected.crop || coarse.n != expected.n {
        return None;
    }
    let len = coarse.n[0] * coarse.n[1] * coarse.n[2];
    let mut ribs = Vec::new();
    for r in value.get("ribs")?.as_array()? {
        let flag = |k: &str| r.get(k).and_then(Value::as_bool);
        let number = |k: &str| r.get(k).and_then(Value::as_f64);
        let runs: Vec<usize> = r
            .get("runs")?
            .as_array()?
            .iter()
            .map(|x| x.as_u64().map(|x| x as usize))
            .collect::<Option<_>>()?;
        if !runs.len().is_multiple_of(2) {
            return None;
        }
        let mut voxels = Vec::new();
        for pair in runs.chunks(2) {
            let (start, length) = (pair[0], pair[1]);
            if start.checked_add(length)? > len {
                return None;
            }
            voxels.extend(start..start + length);
        }
        ribs.push(RibCandidate {
            left: flag("left")?,
            head_z_mm: number("head_z_mm")?,
            tubercle_z_mm: number("tubercle_z_mm")?,
            long: flag("long")?,
            lateral_mm: number("lateral_mm")?,
            height_mm: number("height_mm")?,
            fused: flag("fused")?,
            stub: flag("stub")?,
            voxels,
        });
    }
    Some(RibDetection { coarse, ribs })
}

/// Sorted linear indices as `[start, length, ...]` runs.
fn runs(voxels: &[usize]) -> Vec<usize> {
    let mut sorted = voxels.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = Vec::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut j = i + 1;
        while j < sorted.len() && sorted[j] == sorted[j - 1] + 1 {
            j += 1;
        }
        out.extend([start, j - i]);
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Coarse {
        Coarse {
            f: 2,
            crop: Crop {
                lo: [3, 4, 0],
                n: [20, 18, 6],
            },
            n: [10, 9, 6],
        }
    }

    fn rib(left: bool, voxels: Vec<usize>) -> RibCandidate {
        RibCandidate {
            left,
            head_z_mm: -12.5,
            tubercle_z_mm: -14.0,
            long: true,
            lateral_mm: 81.0,
            height_mm: 22.0,
            fused: false,
            stub: !left,
            voxels,
        }
    }

    #[test]
    fn detection_survives_the_round_trip() {
        let det = RibDetection {
            coarse: grid(),
            ribs: vec![rib(true, vec![5, 6, 7, 40, 12]), rib(false, vec![539])],
        };
        let back = decode(&encode(&det), &grid()).unwrap();
        assert_eq!(back.ribs.len(), 2);
        let mut want = det.ribs[0].voxels.clone();
        want.sort_unstable();
        assert_eq!(back.ribs[0].voxels, want);
        assert_eq!(back.ribs[1].voxels, vec![539]);
        assert!(back.ribs[0].left && !back.ribs[1].left && back.ribs[1].stub);
        assert_eq!(back.ribs[0].tubercle_z_mm, -14.0);
    }

    #[test]
    fn another_grid_or_voxels_off_the_grid_are_refused() {
        let det = RibDetection {
            coarse: grid(),
            ribs: vec![rib(true, vec![1, 2])],
        };
        let mut other = grid();
        other.crop.lo[0] += 1;
        assert!(decode(&encode(&det), &other).is_none());
        let off = RibDetection {
            coarse: grid(),
            ribs: vec![rib(true, vec![540])],
        };
        assert!(decode(&encode(&off), &grid()).is_none());
    }
}

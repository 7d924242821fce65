//! Every compressed variant of the DICOM WG-04 test images in
//! ../shared/data/dicom-codecs decodes to the uncompressed reference: the
//! lossless ones exactly (CT1 keeps its padding value), the lossy ones
//! within their expected error.

use imaging_io::NoProgress;
use imaging_io::dicom_read::{DicomReadOptions, read_dicom};
use imaging_io::testing::{python_with, real_data};

fn read(relative: &str) -> Option<Vec<i16>> {
    let path = real_data(&format!("dicom-codecs/{relative}"))?;
    let image = read_dicom(&path, &DicomReadOptions::default(), &NoProgress)
        .unwrap_or_else(|e| panic!("{relative}: {e}"));
    assert_eq!(image.volume.dims()[2], 1);
    Some(image.volume.as_slice().to_vec())
}

/// Largest absolute difference and count of differing pixels.
fn compare(reference: &[i16], decoded: &[i16]) -> (i32, usize) {
    assert_eq!(reference.len(), decoded.len());
    reference
        .iter()
        .zip(decoded)
        .map(|(a, b)| (*a as i32 - *b as i32).abs())
        .fold((0, 0), |(max, n), d| (max.max(d), n + usize::from(d > 0)))
}

#[test]
fn lossless_codecs_are_exact() {
    for image in ["CT1", "CT2"] {
        let Some(reference) = read(&format!("REF/{image}_UNC")) else {
            return;
        };
        for codec in ["RLE", "JPLL", "JLSL", "J2KR"] {
            let decoded = read(&format!("{codec}/{image}_{codec}")).unwrap();
            let (max, n) = compare(&reference, &decoded);
            assert_eq!(
                (max, n),
                (0, 0),
                "{image} {codec}: {n} pixels differ, max {max}"
            );
        }
    }
}

#[test]
fn ct1_keeps_its_padding_value() {
    // CT1 stores padding as -2000 with intercept -1024: -3024 HU, kept as is.
    let Some(reference) = read("REF/CT1_UNC") else {
        return;
    };
    let padding = reference.iter().filter(|v| **v == -3024).count();
    assert!(padding > 1000, "only {padding} padding pixels at -3024 HU");
    let Some(j2k) = read("J2KR/CT1_J2KR") else {
        return;
    };
    assert_eq!(j2k.iter().filter(|v| **v == -3024).count(), padding);
}

#[test]
fn lossy_codecs_stay_within_their_error() {
    for image in ["CT1", "CT2"] {
        let Some(reference) = read(&format!("REF/{image}_UNC")) else {
            return;
        };
        // JPEG-LS near-lossless guarantees |error| <= NEAR (4 in these files).
        let decoded = read(&format!("JLSN/{image}_JLSN")).unwrap();
        let (max, _) = compare(&reference, &decoded);
        assert!(max <= 4, "{image} JLSN max error {max}");
        // Lossy JPEG 2000 (about 70:1 and 100:1 here) has no hard bound:
        // require an RMS error under 5% of the image's standard deviation...
        let decoded = read(&format!("J2KI/{image}_J2KI")).unwrap();
        let n = reference.len() as f64;
        let mean_ref = reference.iter().map(|v| *v as f64).sum::<f64>() / n;
        let std_ref = (reference
            .iter()
            .map(|v| (*v as f64 - mean_ref).powi(2))
            .sum::<f64>()
            / n)
            .sqrt();
        let rms = (reference
            .iter()
            .zip(&decoded)
            .map(|(a, b)| (*a as f64 - *b as f64).powi(2))
            .sum::<f64>()
            / n)
            .sqrt();
        println!("{image} J2KI: RMS error {rms:.1} HU, image SD {std_ref:.0} HU");
        assert!(rms < 0.05 * std_ref, "{image} J2KI RMS error {rms}");
        // ...and agree with an independent decoder (pydicom + pylibjpeg).
        if let Some(python) = python_with(&["pydicom", "numpy", "openjpeg"]) {
            let path = real_data(&format!("dicom-codecs/J2KI/{image}_J2KI")).unwrap();
            let script = "import sys, pydicom, numpy as np\n\
                ds = pydicom.dcmread(sys.argv[1])\n\
                a = ds.pixel_array.astype(np.float64) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)\n\
                print(int(a.astype(np.int64).sum()), int((a.astype(np.int64) ** 2).sum()))";
            let output = std::process::Command::new(python)
                .args(["-c", script])
                .arg(&path)
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            let ours: (i64, i64) = decoded
                .iter()
                .fold((0, 0), |(s, q), v| (s + *v as i64, q + (*v as i64).pow(2)));
            let theirs = String::from_utf8_lossy(&output.stdout).trim().to_string();
            assert_eq!(
                theirs,
                format!("{} {}", ours.0, ours.1),
                "{image} J2KI vs pydicom"
            );
        }
    }
}

//! What a phantom is asked to be: [`PhantomParams`], with the patient
//! (sex, age, habitus, organ sizes, position), the acquisition (slice
//! thickness, noise, kernel, field of view) and the findings. Every field
//! is concrete; [`PhantomParams::from_seed`] draws realistic values from a
//! seed and a caller (the CLI) overrides any of them before generating.
//! Enums parse from and print as short words, so they map onto command
//! line options directly.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::PhantomError;
use crate::lesions::LesionSpec;
use crate::rng::{self, PhantomRng};

/// Patient sex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sex {
    /// Female.
    #[serde(rename = "F")]
    Female,
    /// Male.
    #[serde(rename = "M")]
    Male,
}

/// Position of the arms during the scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arms {
    /// Raised above the head (the usual chest CT position): only the
    /// shoulders and upper arms at the top of the scan.
    Up,
    /// Along the body: arms beside the chest in every slice, with more
    /// noise and streaks through the shoulders.
    Down,
    /// No arm in the field of view (shoulder girdle only).
    Absent,
}

/// Family of body and lung shape. Evaluation can train on some families
/// and hold one out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShapeFamily {
    /// Broad, rounded chest; wide lungs; moderate domes.
    Ovoid,
    /// Narrow upper chest, long conical lungs, high domes.
    Tapered,
    /// Deep, round (barrel) chest with flattened, low diaphragm.
    Barrel,
}

/// Sharpness class of a reconstruction kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KernelClass {
    /// Soft tissue kernel: smooth, blotchy low-frequency noise.
    Soft,
    /// Standard body kernel.
    Standard,
    /// Sharp lung or bone kernel: fine-grained noise, edge overshoot.
    Sharp,
}

/// A reconstruction kernel: its sharpness class and the vendor name
/// written to the DICOM Convolution Kernel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kernel {
    /// Sharpness class driving blur and noise texture.
    pub class: KernelClass,
    /// Vendor name, e.g. "B30f", "STANDARD", "LUNG".
    pub name: String,
}

/// Range of the drawn heart scale of a phantom (normal hearts); larger
/// scales come only from cardiomegaly (up to 1.6).
pub const HEART_SCALE_RANGE: [f64; 2] = [0.86, 1.14];

/// Known kernel names and their classes (Siemens, GE, Philips, Canon).
const KERNEL_NAMES: &[(&str, KernelClass)] = &[
    ("B20f", KernelClass::Soft),
    ("B30f", KernelClass::Soft),
    ("B31f", KernelClass::Soft),
    ("Br36", KernelClass::Standard),
    ("B40f", KernelClass::Standard),
    ("B45f", KernelClass::Standard),
    ("B60f", KernelClass::Sharp),
    ("B70f", KernelClass::Sharp),
    ("Br64", KernelClass::Sharp),
    ("SOFT", KernelClass::Soft),
    ("STANDARD", KernelClass::Standard),
    ("LUNG", KernelClass::Sharp),
    ("BONE", KernelClass::Sharp),
    ("A", KernelClass::Soft),
    ("B", KernelClass::Standard),
    ("C", KernelClass::Standard),
    ("L", KernelClass::Sharp),
    ("FC13", KernelClass::Soft),
    ("FC18", KernelClass::Standard),
    ("FC52", KernelClass::Sharp),
];

impl Kernel {
    /// A kernel of a class with its most common name.
    pub fn of_class(class: KernelClass) -> Kernel {
        let name = match class {
            KernelClass::Soft => "B30f",
            KernelClass::Standard => "B45f",
            KernelClass::Sharp => "B70f",
        };
        Kernel {
            class,
            name: name.into(),
        }
    }

    /// All known kernel names.
    pub fn known_names() -> impl Iterator<Item = &'static str> {
        KERNEL_NAMES.iter().map(|(n, _)| *n)
    }
}

impl FromStr for Kernel {
    type Err = PhantomError;
    /// Accepts a class word (`soft`, `standard`, `sharp`) or a known vendor
    /// name (case-insensitive), e.g. `B70f`, `LUNG`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        match t.to_ascii_lowercase().as_str() {
            "soft" => return Ok(Kernel::of_class(KernelClass::Soft)),
            "standard" => return Ok(Kernel::of_class(KernelClass::Standard)),
            "sharp" => return Ok(Kernel::of_class(KernelClass::Sharp)),
            _ => {}
        }
        KERNEL_NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(t))
            .map(|(n, c)| Kernel {
                class: *c,
                name: (*n).to_string(),
            })
            .ok_or_else(|| {
                PhantomError::Params(format!(
                    "unknown kernel {t:?}: use soft, standard, sharp or one of {}",
                    Kernel::known_names().collect::<Vec<_>>().join(", ")
                ))
            })
    }
}

impl fmt::Display for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

macro_rules! word_enum {
    ($t:ty, $what:expr, $( $v:path => [$($w:expr),+] ),+ $(,)?) => {
        impl FromStr for $t {
            type Err = PhantomError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let l = s.trim().to_ascii_lowercase();
                $( if [$($w),+].contains(&l.as_str()) { return Ok($v); } )+
                Err(PhantomError::Params(format!("unknown {} {s:?}", $what)))
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let words: &[&str] = match self { $( $v => &[$($w),+], )+ };
                f.write_str(words[0])
            }
        }
    };
}

word_enum!(Sex, "sex", Sex::Female => ["f", "female"], Sex::Male => ["m", "male"]);
word_enum!(Arms, "arm position", Arms::Up => ["up"], Arms::Down => ["down"], Arms::Absent => ["absent", "none"]);
word_enum!(ShapeFamily, "shape family",
    ShapeFamily::Ovoid => ["ovoid"], ShapeFamily::Tapered => ["tapered"], ShapeFamily::Barrel => ["barrel"]);
word_enum!(KernelClass, "kernel class",
    KernelClass::Soft => ["soft"], KernelClass::Standard => ["standard"], KernelClass::Sharp => ["sharp"]);

impl ShapeFamily {
    /// Every family, in a fixed order.
    pub const ALL: [ShapeFamily; 3] = [
        ShapeFamily::Ovoid,
        ShapeFamily::Tapered,
        ShapeFamily::Barrel,
    ];
}

/// Everything that decides a phantom. Same parameters => identical voxels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhantomParams {
    /// Seed of every random draw (anatomy details, textures, noise).
    pub seed: u64,
    /// Patient sex.
    pub sex: Sex,
    /// Age in years (bone density, aortic size, cartilage calcification).
    pub age_years: f64,
    /// Body-mass index, kg/m^2: drives subcutaneous and visceral fat.
    pub bmi: f64,
    /// Lung size relative to average (about 0.85-1.15).
    pub lung_scale: f64,
    /// Heart size relative to average (about 0.85-1.15 when normal).
    pub heart_scale: f64,
    /// Patient offset from the centre of the field of view, mm (x = left, y = posterior).
    pub offset_mm: [f64; 2],
    /// Rotation of the patient about the S axis, degrees.
    pub rotation_deg: f64,
    /// Arm position.
    pub arms: Arms,
    /// Body and lung shape family.
    pub shape_family: ShapeFamily,
    /// Slice thickness and spacing, mm (0.625-8).
    pub slice_mm: f64,
    /// Noise standard deviation in HU at the centre of an average chest (8-40).
    pub noise_hu: f64,
    /// Reconstruction kernel.
    pub kernel: Kernel,
    /// Tube voltage, kV (recorded; HU values are those of 120 kV).
    pub kvp: f64,
    /// Reconstruction field of view (square), mm (320-400 typical).
    pub fov_mm: f64,
    /// Image matrix (columns = rows), 512 for real scans; smaller for tests.
    pub matrix: usize,
    /// Scan length in mm; `None` covers the lung apices to the upper
    /// abdomen as the anatomy requires (about 280-340 mm).
    pub z_extent_mm: Option<f64>,
    /// Occasional motion artefact (double contours at the heart and diaphragm).
    pub motion: bool,
    /// A normal phantom has no finding (and `lesions` must be empty).
    pub normal: bool,
    /// Lesions to insert. Empty on an abnormal phantom: some are drawn from the seed.
    #[serde(default)]
    pub lesions: Vec<LesionSpec>,
    /// Exam context written to ground truth.
    #[serde(default)]
    pub context: aisu::ExamContext,
}

impl PhantomParams {
    /// Draws a realistic patient and acquisition from `seed`. Slice
    /// thickness defaults to 2.5 mm; about one phantom in five is normal.
    pub fn from_seed(seed: u64) -> PhantomParams {
        let mut r = rng::stream(seed, "params");
        let sex = if rng::chance(&mut r, 0.5) {
            Sex::Female
        } else {
            Sex::Male
        };
        // Drawn values are rounded so that they print and parse back
        // exactly (params.json and suite.json regenerate the same voxels).
        let round = |x: f64, k: f64| (x * k).round() / k;
        let age_years = rng::uniform(&mut r, 35.0, 85.0).round();
        let bmi = round(rng::normal(&mut r, 26.0, 4.5, 17.5, 40.0), 10.0);
        let lung_scale = round(rng::normal(&mut r, 1.0, 0.07, 0.84, 1.16), 1000.0);
        let heart_scale = round(
            rng::normal(
                &mut r,
                1.0,
                0.06,
                HEART_SCALE_RANGE[0],
                HEART_SCALE_RANGE[1],
            ),
            1000.0,
        );
        let offset_mm = [
            round(rng::normal(&mut r, 0.0, 12.0, -35.0, 35.0), 10.0),
            round(rng::normal(&mut r, 0.0, 10.0, -30.0, 30.0), 10.0),
        ];
        let rotation_deg = round(rng::normal(&mut r, 0.0, 2.0, -5.0, 5.0), 100.0);
        let arms = [Arms::Up, Arms::Down, Arms::Absent][rng::weighted(&mut r, &[0.75, 0.2, 0.05])];
        let shape_family = ShapeFamily::ALL[rng::weighted(&mut r, &[1.0, 1.0, 1.0])];
        let class = [KernelClass::Soft, KernelClass::Standard, KernelClass::Sharp]
            [rng::weighted(&mut r, &[0.35, 0.4, 0.25])];
        let candidates: Vec<&(&str, KernelClass)> =
            KERNEL_NAMES.iter().filter(|(_, c)| *c == class).collect();
        let pick = candidates[rng::weighted(&mut r, &vec![1.0; candidates.len()])];
        let kernel = Kernel {
            class,
            name: pick.0.to_string(),
        };
        let noise_hu = match class {
            KernelClass::Soft => rng::uniform(&mut r, 8.0, 22.0),
            KernelClass::Standard => rng::uniform(&mut r, 12.0, 28.0),
            KernelClass::Sharp => rng::uniform(&mut r, 20.0, 40.0),
        }
        .round();
        let fov_mm = (rng::uniform(&mut r, 320.0, 400.0) / 2.0).round() * 2.0;
        let motion = rng::chance(&mut r, 0.15);
        let normal = rng::chance(&mut r, 0.2);
        PhantomParams {
            seed,
            sex,
            age_years,
            bmi,
            lung_scale,
            heart_scale,
            offset_mm,
            rotation_deg,
            arms,
            shape_family,
            slice_mm: 2.5,
            noise_hu,
            kernel,
            kvp: 120.0,
            fov_mm,
            matrix: 512,
            z_extent_mm: None,
            motion,
            normal,
            lesions: Vec::new(),
            context: aisu::ExamContext::Unknown,
        }
    }

    /// Checks every field against its accepted range.
    pub fn validate(&self) -> Result<(), PhantomError> {
        let check = |ok: bool, what: String| {
            if ok {
                Ok(())
            } else {
                Err(PhantomError::Params(what))
            }
        };
        check(
            (0.5..=10.0).contains(&self.slice_mm),
            format!("slice thickness {} mm outside 0.5-10", self.slice_mm),
        )?;
        check(
            (0.0..=100.0).contains(&self.noise_hu),
            format!("noise {} HU outside 0-100", self.noise_hu),
        )?;
        check(
            (200.0..=500.0).contains(&self.fov_mm),
            format!("field of view {} mm outside 200-500", self.fov_mm),
        )?;
        check(
            (32..=1024).contains(&self.matrix),
            format!("matrix {} outside 32-1024", self.matrix),
        )?;
        check(
            (18.0..=100.0).contains(&self.age_years),
            format!("age {} outside 18-100", self.age_years),
        )?;
        check(
            (15.0..=50.0).contains(&self.bmi),
            format!("BMI {} outside 15-50", self.bmi),
        )?;
        check(
            (0.7..=1.3).contains(&self.lung_scale) && (0.7..=1.6).contains(&self.heart_scale),
            "lung_scale must be 0.7-1.3 and heart_scale 0.7-1.6".into(),
        )?;
        check(
            self.offset_mm.iter().all(|o| o.abs() <= 80.0) && self.rotation_deg.abs() <= 20.0,
            "offset must be within 80 mm and rotation within 20 degrees".into(),
        )?;
        if let Some(z) = self.z_extent_mm {
            check(
                (40.0..=450.0).contains(&z),
                format!("z extent {z} mm outside 40-450"),
            )?;
        }
        check(
            !self.normal || self.lesions.is_empty(),
            "a normal phantom cannot have lesions".into(),
        )?;
        Ok(())
    }

    /// Pixel spacing in mm.
    pub fn pixel_mm(&self) -> f64 {
        self.fov_mm / self.matrix as f64
    }
}

/// Draw helper shared by anatomy modules: a value scaled by the patient's
/// body size (sex and habitus).
pub(crate) fn body_size_factor(p: &PhantomParams, r: &mut PhantomRng) -> f64 {
    let sex = match p.sex {
        Sex::Male => 1.0,
        Sex::Female => 0.93,
    };
    sex * rng::normal(r, 1.0, 0.035, 0.92, 1.08)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_parse_by_class_and_name() {
        assert_eq!("b70F".parse::<Kernel>().unwrap().class, KernelClass::Sharp);
        assert_eq!("soft".parse::<Kernel>().unwrap().name, "B30f");
        assert!("X99".parse::<Kernel>().is_err());
    }

    #[test]
    fn words_round_trip() {
        for a in [Arms::Up, Arms::Down, Arms::Absent] {
            assert_eq!(a.to_string().parse::<Arms>().unwrap(), a);
        }
        for f in ShapeFamily::ALL {
            assert_eq!(f.to_string().parse::<ShapeFamily>().unwrap(), f);
        }
        assert_eq!("M".parse::<Sex>().unwrap(), Sex::Male);
    }

    #[test]
    fn drawn_params_are_valid_and_reproducible() {
        for seed in 0..50 {
            let p = PhantomParams::from_seed(seed);
            p.validate().unwrap();
            assert_eq!(p, PhantomParams::from_seed(seed));
        }
        assert_ne!(PhantomParams::from_seed(1), PhantomParams::from_seed(2));
    }
}

//! The finding units on phantoms with drawn lesions (each code's
//! detection, measurement and grading against the phantom's truth) and on
//! the real Lung-PET-CT-Dx scans.
//!
//! One test binary for the crate (each integration test file was a
//! binary of its own: linked separately, and run one after another,
//! with a core idle while a binary's last test ran alone).

mod support;

mod phantom_aorta_size;
mod phantom_aortic_calcium;
mod phantom_aortic_valve;
mod phantom_bone_density;
mod phantom_calcium;
mod phantom_emphysema;
mod phantom_heart_size;
mod phantom_liver;
mod phantom_mitral_annulus;
mod phantom_nodules;
mod phantom_pericardium;
mod phantom_perihilar_mass;
mod phantom_pleura;
mod phantom_rib_fractures;
mod phantom_vertebral_fracture;
mod real_tumours;

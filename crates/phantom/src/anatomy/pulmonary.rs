//! Airways and pulmonary vessels. The central airway (carina, main,
//! intermediate and lobar bronchi) is drawn by hand; inside each lobe one
//! space-filling tree ([`crate::anatomy::trees`]) gives the bronchi and,
//! offset beside them, the arteries that pair with them (arteries go on
//! where the bronchi become too small to see). The veins are a separate
//! tree per lobe grown from the left atrium's four pulmonary veins over a
//! different sampling of the lobe, so they run between the bronchovascular
//! bundles and cross them, as in real lungs. Calibres taper from ~12 mm at
//! the hila to under 1 mm at the periphery: their cross-sections are the
//! main false positives of nodule detection.

use serde::{Deserialize, Serialize};

use crate::anatomy::heart::Heart;
use crate::anatomy::prims::Tube;
use crate::anatomy::trees::{self, Branch, GrowParams, Tree};
use crate::geom::{
    V3, add, add_scaled, catmull_rom, dot, norm, normalize, perpendicular, scale, sub,
};
use crate::labels::{self, Label};
use crate::params::PhantomParams;
use crate::render::canvas::Canvas;
use crate::rng::{self, PhantomRng};

/// A lobe's root: where its bronchus (and artery) tree and its vein tree start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LobeRoot {
    /// Lobe label.
    pub lobe: Label,
    /// Lobar bronchus: start and end.
    pub bronchus: [V3; 2],
    /// Lobar artery radius, mm.
    pub artery_radius: f64,
    /// Vein root: start (near the atrium) and end.
    pub vein: [V3; 2],
    /// Lobar vein radius, mm.
    pub vein_radius: f64,
}

/// Central airways and lobar roots (built before the lungs are sampled).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CentralAirways {
    /// Main and intermediate bronchi (outer wall), named.
    pub bronchi: Vec<(String, Tube)>,
    /// Roots of the five lobes.
    pub lobes: Vec<LobeRoot>,
    /// Arteries from each hilum to the lobar artery roots.
    pub artery_links: Vec<Tube>,
    /// Veins from the atrium to the lobar vein roots.
    pub vein_links: Vec<Tube>,
}

/// The pulmonary trees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pulmonary {
    /// Central airways, roots and links.
    pub central: CentralAirways,
    /// Bronchial tree centrelines (radii are the paired artery radii).
    pub bronchial: Tree,
    /// Arteries: the bronchial tree offset beside the bronchi.
    pub arteries: Tree,
    /// Veins.
    pub veins: Tree,
    /// Outer bronchus radius / paired artery radius.
    pub bronchus_ratio: f64,
    /// Artery radius below which no bronchus is drawn, mm.
    pub min_bronchus_artery: f64,
    /// Bronchial wall thickness as a fraction of the outer radius.
    pub wall_fraction: f64,
}

/// Builds the central airways from the carina (end of `trachea`).
pub fn central(
    p: &PhantomParams,
    size: f64,
    trachea: &Tube,
    heart: &Heart,
    hila: [V3; 2],
) -> CentralAirways {
    let r = &mut rng::stream(p.seed, "airways");
    let s = size;
    let c = trachea.nodes.last().map(|n| n.p).unwrap_or([0.0; 3]);
    let j = |r: &mut PhantomRng, v: V3| -> V3 {
        [
            v[0] * s * rng::normal(r, 1.0, 0.06, 0.85, 1.15),
            v[1] * s + rng::jitter(r, 2.0),
            v[2] * s * rng::normal(r, 1.0, 0.06, 0.85, 1.15),
        ]
    };
    let rmb = add(c, j(r, [-20.0, 3.0, -14.0]));
    let bi = add(rmb, j(r, [-5.0, 6.0, -24.0]));
    let lmb = add(c, j(r, [34.0, 10.0, -24.0]));
    let rmb_r = rng::uniform(r, 6.5, 8.0) * s;
    let lmb_r = rmb_r * 0.88;
    let bronchi = vec![
        (
            "right_main".to_string(),
            Tube::circular(&[c, rmb], &[rmb_r, rmb_r * 0.95]),
        ),
        (
            "bronchus_intermedius".to_string(),
            Tube::circular(&[rmb, bi], &[rmb_r * 0.8, rmb_r * 0.75]),
        ),
        (
            "left_main".to_string(),
            Tube::circular(&[c, lmb], &[lmb_r, lmb_r * 0.95]),
        ),
    ];
    let la = &heart.chambers[3];
    let ostium = |side: f64, up: f64| add(la.c, [side * (la.r[0] - 2.0), -4.0 * s, up * s]);
    let lobe =
        |lobe: Label, b0: V3, dir: V3, ar: f64, vs: V3, vdir: V3, vr: f64, r: &mut PhantomRng| {
            LobeRoot {
                lobe,
                bronchus: [b0, add(b0, j(r, dir))],
                artery_radius: 1.12 * ar * s * rng::normal(r, 1.0, 0.06, 0.85, 1.15),
                vein: [vs, add(vs, scale(vdir, s))],
                vein_radius: 1.12 * vr * s * rng::normal(r, 1.0, 0.06, 0.85, 1.15),
            }
        };
    let rs = ostium(-1.0, 10.0);
    let ri = ostium(-1.0, -14.0);
    let ls = ostium(1.0, 10.0);
    let li = ostium(1.0, -14.0);
    let lobes = vec![
        lobe(
            labels::LOBE_RUL,
            rmb,
            [-16.0, 2.0, 7.0],
            4.6,
            add(rs, [-20.0 * s, -6.0 * s, 10.0 * s]),
            [-8.0, -4.0, 14.0],
            4.6,
            r,
        ),
        lobe(
            labels::LOBE_RML,
            bi,
            [-8.0, -14.0, -8.0],
            3.3,
            add(rs, [-18.0 * s, -14.0 * s, -4.0 * s]),
            [-10.0, -10.0, -4.0],
            3.4,
            r,
        ),
        lobe(
            labels::LOBE_RLL,
            bi,
            [-4.0, 8.0, -16.0],
            5.6,
            add(ri, [-22.0 * s, 4.0 * s, -4.0 * s]),
            [-8.0, 8.0, -12.0],
            5.4,
            r,
        ),
        lobe(
            labels::LOBE_LUL,
            lmb,
            [12.0, -8.0, 10.0],
            4.9,
            add(ls, [20.0 * s, -6.0 * s, 8.0 * s]),
            [8.0, -6.0, 12.0],
            4.9,
            r,
        ),
        lobe(
            labels::LOBE_LLL,
            lmb,
            [6.0, 10.0, -18.0],
            5.6,
            add(li, [22.0 * s, 4.0 * s, -4.0 * s]),
            [8.0, 8.0, -12.0],
            5.4,
            r,
        ),
    ];
    // Arteries from the hilar points of the main pulmonary arteries to
    // each lobar artery root (beside its bronchus).
    let mut artery_links = Vec::new();
    let mut vein_links = Vec::new();
    for l in &lobes {
        let right = l.lobe <= labels::LOBE_RLL;
        let hil = if right { hila[0] } else { hila[1] };
        let start = artery_root(l, s);
        let mid = add(
            crate::geom::lerp3(hil, start, 0.5),
            [0.0, -4.0 * s, 4.0 * s],
        );
        let pts = catmull_rom(&[hil, mid, start], 5);
        let rr: Vec<f64> = (0..pts.len())
            .map(|k| l.artery_radius * (1.25 - 0.25 * k as f64 / (pts.len() - 1) as f64))
            .collect();
        artery_links.push(Tube::circular(&pts, &rr));
        let os = match l.lobe {
            labels::LOBE_RUL | labels::LOBE_RML => rs,
            labels::LOBE_RLL => ri,
            labels::LOBE_LUL => ls,
            _ => li,
        };
        let pts = catmull_rom(&[os, crate::geom::lerp3(os, l.vein[0], 0.5), l.vein[0]], 5);
        vein_links.push(Tube::circular(&pts, &vec![l.vein_radius * 1.1; pts.len()]));
    }
    CentralAirways {
        bronchi,
        lobes,
        artery_links,
        vein_links,
    }
}

/// Start of a lobe's artery tree: beside the start of its bronchus.
fn artery_root(l: &LobeRoot, s: f64) -> V3 {
    let d = normalize(sub(l.bronchus[1], l.bronchus[0]));
    let o = offset_dir(l.lobe, d);
    add_scaled(l.bronchus[0], o, 2.0 * l.artery_radius + 1.0 * s)
}

/// Initial side of the artery relative to its bronchus: anterolateral in
/// the upper lobes, posterolateral in the lower lobes.
fn offset_dir(lobe: Label, d: V3) -> V3 {
    let lateral = if lobe <= labels::LOBE_RLL { -1.0 } else { 1.0 };
    let want = match lobe {
        labels::LOBE_RUL | labels::LOBE_LUL | labels::LOBE_RML => [lateral, -0.6, 0.3],
        _ => [lateral, 0.5, 0.0],
    };
    let o = sub(want, scale(d, dot(want, d)));
    if norm(o) < 1e-6 {
        perpendicular(d)
    } else {
        normalize(o)
    }
}

/// Grows the lobe trees. `points(lobe, salt)` samples a lobe's territory
/// (a different jitter per salt); `inside` says a point is well inside a lung.
pub fn grow(
    p: &PhantomParams,
    size: f64,
    central: CentralAirways,
    points: &dyn Fn(Label, u64) -> Vec<V3>,
    inside: &dyn Fn(V3) -> bool,
) -> Pulmonary {
    let r = &mut rng::stream(p.seed, "pulmonary");
    let bronchus_ratio = rng::uniform(r, 0.85, 1.0);
    let mut bronchial = Vec::new();
    let mut arteries = Vec::new();
    let mut veins = Vec::new();
    let min_bronchus_artery = rng::uniform(r, 0.9, 1.2) * size;
    for l in &central.lobes {
        let g = GrowParams {
            root_radius: l.artery_radius,
            min_points: 5,
            reach: rng::uniform(r, 0.4, 0.5),
            min_length: 2.5 * size,
            max_length: 32.0 * size,
            murray: 3.0,
        };
        let tree = trees::grow(
            l.bronchus[0],
            l.bronchus[1],
            points(l.lobe, 1),
            l.lobe,
            &g,
            inside,
        );
        let off = offset_tree(
            &tree,
            offset_dir(l.lobe, normalize(sub(l.bronchus[1], l.bronchus[0]))),
            |b| {
                let bro = if b.ra >= min_bronchus_artery {
                    b.ra * bronchus_ratio
                } else {
                    0.0
                };
                bro + b.ra + 0.4
            },
        );
        bronchial.extend(tree);
        arteries.extend(off);
        let gv = GrowParams {
            root_radius: l.vein_radius,
            ..g
        };
        veins.extend(trees::grow(
            l.vein[0],
            l.vein[1],
            points(l.lobe, 2),
            l.lobe,
            &gv,
            inside,
        ));
    }
    Pulmonary {
        central,
        bronchial: Tree::new(reindex(bronchial)),
        arteries: Tree::new(reindex(arteries)),
        veins: Tree::new(reindex(veins)),
        bronchus_ratio,
        min_bronchus_artery,
        wall_fraction: rng::uniform(r, 0.17, 0.24),
    }
}

/// Concatenated per-lobe trees keep parent indices local to their lobe;
/// parents are not needed after growth, so they are cleared.
fn reindex(mut b: Vec<Branch>) -> Vec<Branch> {
    for x in &mut b {
        x.parent = None;
    }
    b
}

/// A copy of a tree with every node moved sideways by `mag(branch)` along
/// a direction transported from parent to child (perpendicular to each
/// branch), so the copy runs beside the original without breaking.
fn offset_tree(tree: &[Branch], first: V3, mag: impl Fn(&Branch) -> f64) -> Vec<Branch> {
    let mut dir_end: Vec<V3> = vec![[0.0; 3]; tree.len()];
    let mut off_end: Vec<V3> = vec![[0.0; 3]; tree.len()];
    let mut out = Vec::with_capacity(tree.len());
    for (i, b) in tree.iter().enumerate() {
        let d = normalize(sub(b.b, b.a));
        let (prev_dir, start_off) = match b.parent {
            Some(pi) => (dir_end[pi as usize], off_end[pi as usize]),
            None => (first, scale(first, mag(b))),
        };
        let o = sub(prev_dir, scale(d, dot(prev_dir, d)));
        let o = if norm(o) < 1e-6 {
            perpendicular(d)
        } else {
            normalize(o)
        };
        let end_off = scale(o, mag(b));
        dir_end[i] = o;
        off_end[i] = end_off;
        out.push(Branch {
            a: add(b.a, start_off),
            b: add(b.b, end_off),
            ..*b
        });
    }
    out
}

impl Pulmonary {
    /// Paints vessels (arteries and veins), then bronchial walls and lumens.
    pub fn paint(&self, c: &mut Canvas) {
        let t = c.tissue;
        let blood = t.blood as f32;
        let wall = (t.soft_tissue - 10.0) as f32;
        let air = t.air as f32;
        for tube in self.central.artery_links.iter() {
            tube.paint(c, labels::PULMONARY_ARTERY, |_, _| blood);
        }
        for tube in self.central.vein_links.iter() {
            tube.paint(c, labels::PULMONARY_VEINS, |_, _| blood);
        }
        let vessel = |b: &Branch| Some((b.ra, b.rb));
        let b1 = self.arteries.splat(c, 0, &vessel);
        let b2 = self.veins.splat(c, 0, &vessel);
        flush(c, 0, merge(b1, b2), blood, labels::VESSELS);
        let ratio = self.bronchus_ratio;
        let minr = self.min_bronchus_artery;
        let wf = self.wall_fraction;
        let outer = |b: &Branch| (b.ra >= minr).then_some((b.ra * ratio, b.rb * ratio));
        let lumen = |b: &Branch| {
            (b.ra >= minr).then(|| {
                let l = |r: f64| (r * ratio * (1.0 - wf)).min(r * ratio - 0.25);
                (l(b.ra), l(b.rb))
            })
        };
        let bo = self.bronchial.splat(c, 1, &outer);
        flush(c, 1, bo, wall, labels::BRONCHI);
        let bl = self.bronchial.splat(c, 2, &lumen);
        flush(c, 2, bl, air, labels::BRONCHI);
        for (_, tube) in &self.central.bronchi {
            let wt = 1.6;
            tube.paint(c, labels::BRONCHI, |_, d| if d > -wt { wall } else { air });
        }
    }
}

fn merge(a: [usize; 4], b: [usize; 4]) -> [usize; 4] {
    [
        a[0].min(b[0]),
        a[1].max(b[1]),
        a[2].min(b[2]),
        a[3].max(b[3]),
    ]
}

/// Blends a scratch coverage buffer into the canvas and clears it.
fn flush(c: &mut Canvas, slot: usize, b: [usize; 4], value: f32, label: Label) {
    if b[0] >= b[1] || b[2] >= b[3] {
        return;
    }
    let nx = c.grid.nx;
    for y in b[2]..b[3] {
        for x in b[0]..b[1] {
            let i = y * nx + x;
            let s = c.scratch[slot][i];
            if s <= 0.0 {
                continue;
            }
            c.scratch[slot][i] = 0.0;
            let (a, inside) = if s >= 2.0 {
                (s - 2.0, true)
            } else {
                (s, false)
            };
            c.value[i] += a.min(1.0) * (value - c.value[i]);
            if inside {
                c.label[i] = label;
            }
        }
    }
}

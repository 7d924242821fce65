//! Branches of the grown bronchial tree and their anatomical names.
//!
//! The tree is a list of branches (a branch runs from one split of the
//! wave front to the next). Small side branches (subtrees shorter than
//! [`MIN_SUBTREE_MM`]) are ignored for naming. From the trachea down:
//! the two largest children at the carina are the main bronchi (right on
//! the patient's right, LPS -x); the right main bronchus ends where the
//! upper lobe bronchus leaves it (the child heading highest); the rest is
//! the bronchus intermedius, which ends where the middle lobe bronchus
//! leaves anteriorly (branches leaving it before, such as the superior
//! segmental bronchus of the lower lobe, belong to the lower lobe); on the
//! left, the upper lobe bronchus is the child heading highest and most
//! anteriorly, the lower lobe bronchus the other (Boyden's nomenclature;
//! Netter plate 203). Every branch below a lobar bronchus takes its name.

use aisu::Landmarks;

/// A subtree shorter than this (mm of centreline) is a side bud, not a
/// branch that decides the topology.
const MIN_SUBTREE_MM: f64 = 10.0;

/// Distance along a branch used for its direction, mm.
const DIRECTION_MM: f64 = 15.0;

/// One branch of the tree.
#[derive(Debug, Clone)]
pub struct Branch {
    /// Parent branch (None for the trachea).
    pub parent: Option<u32>,
    /// Splits from the trachea (0 for the trachea).
    pub generation: u32,
    /// Front centroids in LPS mm, top to tip.
    pub points: Vec<[f64; 3]>,
    /// Front sizes (voxels), for leak control.
    pub fronts: Vec<usize>,
    /// Voxels of the branch.
    pub voxels: usize,
    /// False once the branch split, leaked or ended.
    pub alive: bool,
    /// Largest front the branch may have (its parent's lumen: bronchi
    /// taper), voxels.
    pub cap: f64,
    /// Anatomical name ("trachea", "right_main", "rul"...), or "" when not
    /// named.
    pub name: String,
}

impl Branch {
    /// The root branch (the trachea).
    pub fn root() -> Self {
        Branch {
            parent: None,
            generation: 0,
            points: Vec::new(),
            fronts: Vec::new(),
            voxels: 0,
            alive: true,
            cap: f64::INFINITY,
            name: String::new(),
        }
    }

    /// A child of branch `id`; it inherits the parent's last front size
    /// (halved: a split shares the lumen) for leak control.
    pub fn child(id: u32, parent: &Branch) -> Self {
        Branch {
            parent: Some(id),
            generation: parent.generation + 1,
            points: parent.points.last().copied().into_iter().collect(),
            fronts: parent.fronts.last().map(|f| f / 2).into_iter().collect(),
            voxels: 0,
            alive: true,
            cap: parent.recent_front().max(1.0),
            name: String::new(),
        }
    }

    /// Mean size of the last three fronts (0 when none).
    pub fn recent_front(&self) -> f64 {
        let n = self.fronts.len().min(3);
        if n == 0 {
            return 0.0;
        }
        self.fronts[self.fronts.len() - n..].iter().sum::<usize>() as f64 / n as f64
    }

    fn length(&self) -> f64 {
        self.points.windows(2).map(|w| dist(w[0], w[1])).sum()
    }
}

fn dist(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// Topology helpers over a branch list.
struct Tree<'a> {
    branches: &'a [Branch],
    children: Vec<Vec<usize>>,
    subtree_mm: Vec<f64>,
}

impl<'a> Tree<'a> {
    fn new(branches: &'a [Branch]) -> Self {
        let n = branches.len();
        let mut children = vec![Vec::new(); n];
        for (i, b) in branches.iter().enumerate() {
            if let Some(p) = b.parent
                && (p as usize) < n
                && p as usize != i
            {
                children[p as usize].push(i);
            }
        }
        // Children always come after their parent: sum from the end.
        let mut subtree_mm: Vec<f64> = branches.iter().map(Branch::length).collect();
        for i in (0..n).rev() {
            if let Some(p) = branches[i].parent
                && (p as usize) < i
            {
                subtree_mm[p as usize] += subtree_mm[i];
            }
        }
        Tree {
            branches,
            children,
            subtree_mm,
        }
    }

    /// Significant children, largest subtree first.
    fn kids(&self, b: usize) -> Vec<usize> {
        let mut k: Vec<usize> = self.children[b]
            .iter()
            .copied()
            .filter(|&c| self.subtree_mm[c] >= MIN_SUBTREE_MM)
            .collect();
        k.sort_by(|a, b| self.subtree_mm[*b].total_cmp(&self.subtree_mm[*a]));
        k
    }

    /// Follows single significant children: the chain of branches that
    /// forms one named bronchus, ending where it truly splits.
    fn chain(&self, mut b: usize) -> Vec<usize> {
        let mut out = vec![b];
        loop {
            let k = self.kids(b);
            if k.len() == 1 {
                b = k[0];
                out.push(b);
            } else {
                return out;
            }
        }
    }

    /// Unit direction of a branch over its first [`DIRECTION_MM`]
    /// (following its largest descendants when it is short).
    fn direction(&self, b: usize) -> [f64; 3] {
        let start = match self.branches[b].points.first() {
            Some(p) => *p,
            None => return [0.0; 3],
        };
        let mut end = start;
        let mut cur = b;
        'walk: loop {
            for p in &self.branches[cur].points {
                end = *p;
                if dist(start, *p) >= DIRECTION_MM {
                    break 'walk;
                }
            }
            match self.kids(cur).first() {
                Some(&c) => cur = c,
                None => break,
            }
        }
        let d = [end[0] - start[0], end[1] - start[1], end[2] - start[2]];
        let n = dist(d, [0.0; 3]).max(1e-9);
        [d[0] / n, d[1] / n, d[2] / n]
    }
}

/// Names every branch in place and returns the landmarks: the origin
/// (first centreline point) of each of "rul", "bronchus_intermedius",
/// "rml", "rll", "lul", "lll", plus "right_main" and "left_main".
pub fn label_tree(branches: &mut [Branch]) -> Landmarks {
    let mut landmarks = Landmarks::new();
    if branches.is_empty() {
        return landmarks;
    }
    let mut names: Vec<String> = vec![String::new(); branches.len()];
    {
        let tree = Tree::new(branches);
        let set = |chain: &[usize], name: &str, names: &mut Vec<String>| {
            for &b in chain {
                names[b] = name.to_string();
            }
        };
        let trachea = tree.chain(0);
        set(&trachea, "trachea", &mut names);
        let end = *trachea.last().unwrap_or(&0);
        let kids = tree.kids(end);
        if kids.len() >= 2 {
            // Main bronchi: the two largest, right one towards -x.
            let (a, b) = (kids[0], kids[1]);
            let (right, left) = if tree.direction(a)[0] < tree.direction(b)[0] {
                (a, b)
            } else {
                (b, a)
            };
            let origin = |name: &str, b: usize, lm: &mut Landmarks| {
                if let Some(p) = tree.branches[b].points.first() {
                    lm.insert(name.to_string(), *p);
                }
            };
            origin("right_main", right, &mut landmarks);
            origin("left_main", left, &mut landmarks);
            // Right: upper lobe bronchus, then the intermedius.
            let rmb = tree.chain(right);
            set(&rmb, "right_main", &mut names);
            let k = tree.kids(*rmb.last().unwrap_or(&right));
            if k.len() >= 2 {
                let rul = *k
                    .iter()
                    .max_by(|a, b| tree.direction(**a)[2].total_cmp(&tree.direction(**b)[2]))
                    .unwrap_or(&k[0]);
                let bi = *k.iter().find(|&&c| c != rul).unwrap_or(&k[0]);
                origin("rul", rul, &mut landmarks);
                origin("bronchus_intermedius", bi, &mut landmarks);
                subtree_name(&tree, rul, "rul", &mut names);
                for &c in k.iter().filter(|&&c| c != rul && c != bi) {
                    subtree_name(&tree, c, "rul", &mut names);
                }
                // Along the intermedius: the middle lobe bronchus leaves
                // anteriorly; earlier side branches are lower lobe.
                let mut cur = bi;
                let mut found = false;
                for _ in 0..4 {
                    let chain = tree.chain(cur);
                    set(&chain, "bronchus_intermedius", &mut names);
                    let last = *chain.last().unwrap_or(&cur);
                    let k = tree.kids(last);
                    if k.len() < 2 {
                        break;
                    }
                    // Anterior is LPS -y.
                    let rml = k
                        .iter()
                        .copied()
                        .filter(|&c| -tree.direction(c)[1] > 0.35)
                        .max_by(|a, b| (-tree.direction(*a)[1]).total_cmp(&-tree.direction(*b)[1]));
                    match rml {
                        Some(m) => {
                            origin("rml", m, &mut landmarks);
                            subtree_name(&tree, m, "rml", &mut names);
                            let rll = *k.iter().find(|&&c| c != m).unwrap_or(&k[0]);
                            origin("rll", rll, &mut landmarks);
                            for &c in k.iter().filter(|&&c| c != m) {
                                subtree_name(&tree, c, "rll", &mut names);
                            }
                            found = true;
                            break;
                        }
                        None => {
                            for &c in &k[1..] {
                                subtree_name(&tree, c, "rll", &mut names);
                            }
                            cur = k[0];
                        }
                    }
                }
                if !found {
                    subtree_name(&tree, cur, "rll", &mut names);
                }
            }
            // Left: upper and lower lobe bronchi.
            let lmb = tree.chain(left);
            set(&lmb, "left_main", &mut names);
            let k = tree.kids(*lmb.last().unwrap_or(&left));
            if k.len() >= 2 {
                let score = |c: usize| {
                    let d = tree.direction(c);
                    d[2] - d[1]
                };
                let lul = *k
                    .iter()
                    .max_by(|a, b| score(**a).total_cmp(&score(**b)))
                    .unwrap_or(&k[0]);
                let lll = *k.iter().find(|&&c| c != lul).unwrap_or(&k[0]);
                origin("lul", lul, &mut landmarks);
                origin("lll", lll, &mut landmarks);
                subtree_name(&tree, lul, "lul", &mut names);
                for &c in k.iter().filter(|&&c| c != lul) {
                    subtree_name(&tree, c, "lll", &mut names);
                }
            }
        }
    }
    // Unnamed branches take their parent's name.
    for i in 0..branches.len() {
        if names[i].is_empty()
            && let Some(p) = branches[i].parent
            && (p as usize) < i
        {
            names[i] = names[p as usize].clone();
        }
    }
    for (b, n) in branches.iter_mut().zip(names) {
        b.name = n;
    }
    landmarks
}

/// Names a whole subtree.
fn subtree_name(tree: &Tree<'_>, b: usize, name: &str, names: &mut [String]) {
    let mut stack = vec![b];
    while let Some(c) = stack.pop() {
        names[c] = name.to_string();
        stack.extend(tree.children[c].iter().copied());
    }
}

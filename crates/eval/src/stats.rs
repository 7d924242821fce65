//! Statistics for scoring: Wilson score intervals for proportions, and
//! summaries (mean, bias, spread) of paired measurements.

/// A proportion with its Wilson 95% score interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Proportion {
    /// Successes.
    pub hits: usize,
    /// Trials.
    pub total: usize,
    /// hits / total (NaN when total is 0).
    pub value: f64,
    /// Lower bound of the Wilson 95% interval.
    pub lower: f64,
    /// Upper bound of the Wilson 95% interval.
    pub upper: f64,
}

/// z for a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

impl Proportion {
    /// The proportion `hits / total` with its Wilson interval (Wilson,
    /// JASA 1927; recommended over the Wald interval by Brown, Cai &
    /// DasGupta, Stat Sci 2001).
    pub fn wilson(hits: usize, total: usize) -> Self {
        if total == 0 {
            return Proportion {
                hits,
                total,
                value: f64::NAN,
                lower: f64::NAN,
                upper: f64::NAN,
            };
        }
        let n = total as f64;
        let p = hits as f64 / n;
        let z2 = Z95 * Z95;
        let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
        let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / (1.0 + z2 / n);
        Proportion {
            hits,
            total,
            value: p,
            // The interval touches 0 (or 1) exactly when every trial failed
            // (or succeeded); rounding must not move it off the bound.
            lower: if hits == 0 {
                0.0
            } else {
                (centre - half).max(0.0)
            },
            upper: if hits >= total {
                1.0
            } else {
                (centre + half).min(1.0)
            },
        }
    }
}

/// Summary of measurement errors (measured minus truth).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ErrorSummary {
    /// Number of pairs.
    pub n: usize,
    /// Mean error (bias).
    pub bias: f64,
    /// Mean absolute error.
    pub mean_abs: f64,
    /// Mean absolute relative error (|error| / |truth|), where truth != 0.
    pub mean_abs_relative: f64,
    /// Standard deviation of the errors.
    pub sd: f64,
}

impl ErrorSummary {
    /// Summarises `(measured, truth)` pairs; `None` when empty.
    pub fn of(pairs: &[(f64, f64)]) -> Option<Self> {
        if pairs.is_empty() {
            return None;
        }
        let n = pairs.len() as f64;
        let errors: Vec<f64> = pairs.iter().map(|(m, t)| m - t).collect();
        let bias = errors.iter().sum::<f64>() / n;
        let mean_abs = errors.iter().map(|e| e.abs()).sum::<f64>() / n;
        let relative: Vec<f64> = pairs
            .iter()
            .filter(|(_, t)| t.abs() > 1e-9)
            .map(|(m, t)| ((m - t) / t).abs())
            .collect();
        let mean_abs_relative = if relative.is_empty() {
            f64::NAN
        } else {
            relative.iter().sum::<f64>() / relative.len() as f64
        };
        let sd = if pairs.len() > 1 {
            (errors.iter().map(|e| (e - bias).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            0.0
        };
        Some(ErrorSummary {
            n: pairs.len(),
            bias,
            mean_abs,
            mean_abs_relative,
            sd,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_published_values() {
        // Brown, Cai & DasGupta 2001 style check: 81 of 263.
        let p = Proportion::wilson(81, 263);
        assert!((p.lower - 0.2553).abs() < 5e-4, "{p:?}");
        assert!((p.upper - 0.3662).abs() < 5e-4, "{p:?}");
        // All successes: upper bound 1, lower bound below 1.
        let p = Proportion::wilson(30, 30);
        assert_eq!(p.upper, 1.0);
        assert!((p.lower - 0.8865).abs() < 5e-4, "{p:?}");
        assert!(Proportion::wilson(0, 0).value.is_nan());
    }

    #[test]
    fn error_summary() {
        let s = ErrorSummary::of(&[(11.0, 10.0), (9.0, 10.0), (12.0, 10.0)]).unwrap();
        assert!((s.bias - 2.0 / 3.0).abs() < 1e-12);
        assert!((s.mean_abs - 4.0 / 3.0).abs() < 1e-12);
        assert!(ErrorSummary::of(&[]).is_none());
    }
}

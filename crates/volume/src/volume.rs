//! `Volume<T>`: a 3D voxel array with its patient geometry.
//!
//! Voxels are stored in an ndarray of shape `(z, y, x)` in standard (C)
//! layout, so that one slice is contiguous and memory order matches DICOM
//! frames and NIfTI's Fortran-ordered `[x, y, z]` alike. Public APIs speak
//! `[x, y, z]` (FINDINGS-JSON.md); only the raw array is `(z, y, x)`.

use ndarray::{Array3, ArrayView2, ArrayViewMut2, Axis};

use crate::{Geometry, VolumeError};

/// A 3D image: voxels plus grid geometry.
#[derive(Debug, Clone, PartialEq)]
pub struct Volume<T> {
    data: Array3<T>,
    geometry: Geometry,
}

impl<T> Volume<T> {
    /// Wraps an array of shape `(z, y, x)` with a geometry whose `dims` are
    /// `[x, y, z]`. Fails when the shapes disagree or the geometry is invalid.
    pub fn new(data: Array3<T>, geometry: Geometry) -> Result<Self, VolumeError>
    where
        T: Clone,
    {
        let (nz, ny, nx) = data.dim();
        if [nx, ny, nz] != geometry.dims {
            return Err(VolumeError::Shape(format!(
                "array is {nx}x{ny}x{nz} (x,y,z) but geometry says {:?}",
                geometry.dims
            )));
        }
        geometry.validate()?;
        let data = if data.is_standard_layout() {
            data
        } else {
            data.as_standard_layout().to_owned()
        };
        Ok(Volume { data, geometry })
    }

    /// A volume filled with one value.
    pub fn filled(geometry: Geometry, value: T) -> Self
    where
        T: Clone,
    {
        let [nx, ny, nz] = geometry.dims;
        Volume {
            data: Array3::from_elem((nz, ny, nx), value),
            geometry,
        }
    }

    /// The grid geometry.
    pub fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// Replaces the geometry (same dims required).
    pub fn set_geometry(&mut self, geometry: Geometry) -> Result<(), VolumeError> {
        if geometry.dims != self.geometry.dims {
            return Err(VolumeError::Shape(format!(
                "new geometry dims {:?} differ from {:?}",
                geometry.dims, self.geometry.dims
            )));
        }
        geometry.validate()?;
        self.geometry = geometry;
        Ok(())
    }

    /// `[x, y, z]` sizes.
    pub fn dims(&self) -> [usize; 3] {
        self.geometry.dims
    }

    /// Voxel spacing `[x, y, z]` in mm.
    pub fn spacing(&self) -> [f64; 3] {
        self.geometry.spacing
    }

    /// The voxels as an array of shape `(z, y, x)`.
    pub fn data(&self) -> &Array3<T> {
        &self.data
    }

    /// Mutable voxels, shape `(z, y, x)`.
    pub fn data_mut(&mut self) -> &mut Array3<T> {
        &mut self.data
    }

    /// Consumes the volume, returning the `(z, y, x)` array and geometry.
    pub fn into_parts(self) -> (Array3<T>, Geometry) {
        (self.data, self.geometry)
    }

    /// The voxels as one contiguous slice in (z, y, x) memory order: the
    /// index of `[x, y, z]` is `x + nx * (y + ny * z)`.
    pub fn as_slice(&self) -> &[T] {
        self.data
            .as_slice()
            .expect("Volume keeps its array in standard layout")
    }

    /// Mutable contiguous voxels, same order as [`Volume::as_slice`].
    pub fn as_slice_mut(&mut self) -> &mut [T] {
        self.data
            .as_slice_mut()
            .expect("Volume keeps its array in standard layout")
    }

    /// The voxel at `[x, y, z]`, or `None` outside the grid.
    pub fn get(&self, x: usize, y: usize, z: usize) -> Option<&T> {
        self.data.get((z, y, x))
    }

    /// Linear index of `[x, y, z]` in [`Volume::as_slice`].
    pub fn linear_index(&self, x: usize, y: usize, z: usize) -> usize {
        let [nx, ny, _] = self.geometry.dims;
        x + nx * (y + ny * z)
    }

    /// Axial slice `z` as a `(y, x)` view.
    pub fn slice_z(&self, z: usize) -> ArrayView2<'_, T> {
        self.data.index_axis(Axis(0), z)
    }

    /// Mutable axial slice `z` as a `(y, x)` view.
    pub fn slice_z_mut(&mut self, z: usize) -> ArrayViewMut2<'_, T> {
        self.data.index_axis_mut(Axis(0), z)
    }

    /// A new volume on the same grid with each voxel mapped.
    pub fn map<U, F>(&self, f: F) -> Volume<U>
    where
        F: Fn(&T) -> U + Sync + Send,
        T: Sync,
        U: Send,
    {
        use ndarray::Zip;
        let data = Zip::from(&self.data).par_map_collect(f);
        Volume {
            data,
            geometry: self.geometry,
        }
    }

    /// A volume of the same geometry from a `(z, y, x)` array.
    pub fn with_data<U: Clone>(&self, data: Array3<U>) -> Result<Volume<U>, VolumeError> {
        Volume::new(data, self.geometry)
    }
}

impl<T: Copy + PartialOrd> Volume<T> {
    /// Smallest and largest voxel values, or `None` for an empty volume.
    pub fn min_max(&self) -> Option<(T, T)> {
        let mut it = self.as_slice().iter().copied();
        let first = it.next()?;
        Some(it.fold((first, first), |(lo, hi), v| {
            (if v < lo { v } else { lo }, if v > hi { v } else { hi })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_mismatch_is_an_error() {
        let g = Geometry::new([4, 3, 2], [1.0; 3], [0.0; 3]);
        assert!(Volume::new(Array3::<i16>::zeros((2, 3, 4)), g).is_ok());
        assert!(Volume::new(Array3::<i16>::zeros((4, 3, 2)), g).is_err());
    }

    #[test]
    fn linear_index_matches_array_order() {
        let g = Geometry::new([4, 3, 2], [1.0; 3], [0.0; 3]);
        let mut v = Volume::filled(g, 0i16);
        v.data_mut()[(1, 2, 3)] = 7;
        assert_eq!(v.as_slice()[v.linear_index(3, 2, 1)], 7);
        assert_eq!(v.get(3, 2, 1), Some(&7));
        assert_eq!(v.min_max(), Some((0, 7)));
    }
}

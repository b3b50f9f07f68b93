// Convolution ('same', stride 1) by per-image im2col + GEMM, and 2x2 max-pooling, on HWC images.
//
// Why per image: the im2col matrix of one 14x14x32 image with a 5x5 kernel is 800 x 196 floats
// (627 KB), which stays in L2 between being written and being read by the GEMM; a whole batch's
// would not. With HWC images each patch row (kw, c) of one kernel row is ONE contiguous run of
// kernel * channels values in the image, so im2col and col2im move memory in long runs.
#include <algorithm>
#include <cstring>

#include "kernels/check.h"
#include "kernels/eigen_maps.h"
#include "kernels/layers.h"

namespace distsim::kernels {
namespace {

// Calls f(pixel, kh, ih, iw0, kw_lo, kw_hi) for every output pixel and kernel row whose source
// image row ih is inside the image; kw in [kw_lo, kw_hi) are the kernel columns whose source column
// iw0 + kw is inside.
// Rows/columns outside are the caller's zero padding.
template <typename F>
void ForEachPatchRow(const ConvShape& s, F&& f) {
  const int pad = s.kernel / 2;
  for (int oh = 0; oh < s.height; ++oh) {
    for (int ow = 0; ow < s.width; ++ow) {
      const int64_t pixel = int64_t{oh} * s.width + ow;
      const int kw_lo = std::max(0, pad - ow);
      const int kw_hi = std::min(s.kernel, s.width + pad - ow);
      for (int kh = 0; kh < s.kernel; ++kh) {
        const int ih = oh + kh - pad;
        if (ih < 0 || ih >= s.height) continue;
        f(pixel, kh, ih, ow - pad, kw_lo, kw_hi);
      }
    }
  }
}

// Im2Col for one input channel and a compile-time kernel size: the patch rows are K-float runs,
// too short for memcpy, so interior pixels get a fixed-length copy the compiler unrolls.
template <int K, typename T>
void Im2ColSingleChannel(const ConvShape& s, const T* image, T* col) {
  constexpr int pad = K / 2;
  T* dst = col;
  for (int oh = 0; oh < s.height; ++oh) {
    for (int ow = 0; ow < s.width; ++ow) {
      const bool interior_w = ow >= pad && ow + pad < s.width;
      for (int kh = 0; kh < K; ++kh, dst += K) {
        const int ih = oh + kh - pad;
        if (ih < 0 || ih >= s.height) {
          for (int kw = 0; kw < K; ++kw) dst[kw] = T(0);
          continue;
        }
        const T* row = image + int64_t{ih} * s.width;
        if (interior_w) {
          const T* src = row + (ow - pad);
          for (int kw = 0; kw < K; ++kw) dst[kw] = src[kw];
        } else {
          for (int kw = 0; kw < K; ++kw) {
            const int iw = ow + kw - pad;
            dst[kw] = (iw >= 0 && iw < s.width) ? row[iw] : T(0);
          }
        }
      }
    }
  }
}

}  // namespace

template <typename T>
void Im2Col(const ConvShape& s, const T* image, T* col) {
  DSK_CHECK(s.kernel % 2 == 1);
  const int64_t c = s.in_channels;
  const int64_t row_len = s.kernel * c;  // one kernel row of a patch
  const int pad = s.kernel / 2;
  if (c == 1 && s.kernel == 5) return Im2ColSingleChannel<5>(s, image, col);
  // Every element of col is written exactly once: zeros for padding, one run copy otherwise.
  T* dst = col;
  for (int oh = 0; oh < s.height; ++oh) {
    for (int ow = 0; ow < s.width; ++ow) {
      const int kw_lo = std::max(0, pad - ow);
      const int kw_hi = std::min(s.kernel, s.width + pad - ow);
      for (int kh = 0; kh < s.kernel; ++kh, dst += row_len) {
        const int ih = oh + kh - pad;
        if (ih < 0 || ih >= s.height) {
          std::fill_n(dst, row_len, T(0));
          continue;
        }
        const T* src = image + (int64_t{ih} * s.width + (ow - pad + kw_lo)) * c;
        std::fill_n(dst, kw_lo * c, T(0));
        std::memcpy(dst + kw_lo * c, src, sizeof(T) * (kw_hi - kw_lo) * c);
        std::fill(dst + kw_hi * c, dst + row_len, T(0));
      }
    }
  }
}

template <typename T>
void Col2Im(const ConvShape& s, const T* col, T* image) {
  DSK_CHECK(s.kernel % 2 == 1);
  const int64_t c = s.in_channels;
  const int64_t row_len = s.kernel * c;
  const int64_t patch = s.patch_size();
  std::memset(image, 0, sizeof(T) * s.pixels() * c);
  ForEachPatchRow(s, [&](int64_t pixel, int kh, int ih, int iw0, int kw_lo, int kw_hi) {
    T* __restrict dst = image + (int64_t{ih} * s.width + iw0 + kw_lo) * c;
    const T* __restrict src = col + pixel * patch + kh * row_len + kw_lo * c;
    const int64_t n = (kw_hi - kw_lo) * c;
    for (int64_t i = 0; i < n; ++i) dst[i] += src[i];
  });
}

template <typename T>
void Conv2dForward(const ConvShape& s, const T* w, const T* b, const T* image, T* col, T* out) {
  Im2Col(s, image, col);
  const int64_t k = s.patch_size();
  MatMap<T> Y(out, s.out_channels, s.pixels());
  Y.noalias() = ConstRowMatMap<T>(w, s.out_channels, k) * ConstMatMap<T>(col, k, s.pixels());
  Y.colwise() += ConstVecMap<T>(b, s.out_channels);
}

template <typename T>
void Conv2dBackward(const ConvShape& s, const T* w, const T* image, const T* dout, T* col, T* dw,
                    T* db, T* dimage) {
  Im2Col(s, image, col);
  const int64_t k = s.patch_size();
  ConstMatMap<T> dY(dout, s.out_channels, s.pixels());
  MatMap<T> Col(col, k, s.pixels());
  // dW (out x k, row-major) is the column-major k x out matrix Col dY^T.
  MatMap<T>(dw, k, s.out_channels).noalias() += Col * dY.transpose();
  AddRowSums(dout, s.out_channels, s.pixels(), db);
  if (dimage != nullptr) {
    // dCol = W^T dY, written over the im2col scratch (no longer needed), then folded back.
    Col.noalias() = ConstMatMap<T>(w, k, s.out_channels) * dY;
    Col2Im(s, col, dimage);
  }
}

template <typename T>
void MaxPool2x2Forward(int height, int width, int channels, const T* x, T* y, int32_t* argmax) {
  DSK_CHECK(height % 2 == 0 && width % 2 == 0);
  const int oh_n = height / 2, ow_n = width / 2;
  const int64_t row = int64_t{width} * channels;
  for (int oh = 0; oh < oh_n; ++oh) {
    for (int ow = 0; ow < ow_n; ++ow) {
      const int32_t base = static_cast<int32_t>((2 * oh) * row + (2 * ow) * channels);
      const int32_t offsets[4] = {0, channels, static_cast<int32_t>(row),
                                  static_cast<int32_t>(row + channels)};
      T* yo = y + (int64_t{oh} * ow_n + ow) * channels;
      int32_t* ao = argmax + (int64_t{oh} * ow_n + ow) * channels;
      for (int c = 0; c < channels; ++c) {
        yo[c] = x[base + c];
        ao[c] = base + c;
      }
      for (int q = 1; q < 4; ++q) {
        const int32_t off = base + offsets[q];
        for (int c = 0; c < channels; ++c) {
          const T v = x[off + c];
          const bool bigger = v > yo[c];
          yo[c] = bigger ? v : yo[c];
          ao[c] = bigger ? off + c : ao[c];
        }
      }
    }
  }
}

template <typename T>
void MaxPool2x2Backward(int height, int width, int channels, const T* dy, const int32_t* argmax,
                        T* dx) {
  DSK_CHECK(height % 2 == 0 && width % 2 == 0);
  std::memset(dx, 0, sizeof(T) * int64_t{height} * width * channels);
  const int64_t n = int64_t{height / 2} * (width / 2) * channels;
  for (int64_t i = 0; i < n; ++i) dx[argmax[i]] = dy[i];
}

#define DSK_INSTANTIATE(T)                                                                         \
  template void Im2Col<T>(const ConvShape&, const T*, T*);                                         \
  template void Col2Im<T>(const ConvShape&, const T*, T*);                                         \
  template void Conv2dForward<T>(const ConvShape&, const T*, const T*, const T*, T*, T*);          \
  template void Conv2dBackward<T>(const ConvShape&, const T*, const T*, const T*, T*, T*, T*, T*); \
  template void MaxPool2x2Forward<T>(int, int, int, const T*, T*, int32_t*);                       \
  template void MaxPool2x2Backward<T>(int, int, int, const T*, const int32_t*, T*);
DSK_INSTANTIATE(float)
DSK_INSTANTIATE(double)
#undef DSK_INSTANTIATE

}  // namespace distsim::kernels

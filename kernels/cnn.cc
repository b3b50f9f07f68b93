// The TensorFlow-tutorial CNN: conv5x5 'same' + ReLU, max-pool 2x2, conv5x5 'same' + ReLU,
// max-pool 2x2, dense + ReLU, dropout, dense to logits.
//
// The convolutional part runs one image at a time (its im2col scratch stays in L2); the dense part
// runs on the whole batch. ReLU and max-pooling commute (both monotone), so each conv block pools
// the raw conv output and applies ReLU to the 4x smaller pooled tensor; the pooled output and the
// argmax indices are all that backward needs, so the full-resolution conv outputs are per-image
// scratch and never stored for the batch.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kernels/check.h"
#include "kernels/layers.h"
#include "kernels/model.h"
#include "kernels/model_util.h"

namespace distsim::kernels {
namespace {

template <typename T>
class CnnModel final : public Model<T> {
 public:
  explicit CnnModel(const CnnShape& shape) : shape_(shape) {
    DSK_CHECK(shape.height > 0 && shape.width > 0);
    DSK_CHECK(shape.height % 4 == 0 && shape.width % 4 == 0);
    DSK_CHECK(shape.conv1_channels > 0 && shape.conv2_channels > 0 && shape.dense_units > 0);
    DSK_CHECK(shape.num_classes > 0);
    DSK_CHECK(shape.dropout >= 0.0f && shape.dropout < 1.0f);
    conv1_ = {shape.height, shape.width, 1, shape.conv1_channels, kKernel};
    conv2_ = {shape.height / 2, shape.width / 2, shape.conv1_channels, shape.conv2_channels,
              kKernel};
    pool1_size_ = conv2_.pixels() * conv2_.in_channels;
    flat_ = int64_t{shape.height / 4} * (shape.width / 4) * shape.conv2_channels;
    ParamLayout& l = this->layout_;
    w1_ = l.Add("conv1/weight", {shape.conv1_channels, kKernel, kKernel, 1});
    b1_ = l.Add("conv1/bias", {shape.conv1_channels});
    w2_ = l.Add("conv2/weight", {shape.conv2_channels, kKernel, kKernel, shape.conv1_channels});
    b2_ = l.Add("conv2/bias", {shape.conv2_channels});
    w3_ = l.Add("dense1/weight", {shape.dense_units, flat_});
    b3_ = l.Add("dense1/bias", {shape.dense_units});
    w4_ = l.Add("dense2/weight", {shape.num_classes, shape.dense_units});
    b4_ = l.Add("dense2/bias", {shape.num_classes});
  }

  std::string name() const override {
    return "cnn " + std::to_string(shape_.height) + "x" + std::to_string(shape_.width) + " c" +
           std::to_string(shape_.conv1_channels) + "-c" + std::to_string(shape_.conv2_channels) +
           "-d" + std::to_string(shape_.dense_units) + "-" + std::to_string(shape_.num_classes);
  }
  int input_dim() const override { return shape_.height * shape_.width; }
  int num_classes() const override { return shape_.num_classes; }

  double TrainFlopsPerExample() const override {
    const double conv1 = 2.0 * conv1_.pixels() * conv1_.patch_size() * conv1_.out_channels;
    const double conv2 = 2.0 * conv2_.pixels() * conv2_.patch_size() * conv2_.out_channels;
    const double dense1 = 2.0 * flat_ * shape_.dense_units;
    const double dense2 = 2.0 * shape_.dense_units * shape_.num_classes;
    // Forward and weight gradient everywhere; input gradient everywhere but conv1.
    return 2 * conv1 + 3 * (conv2 + dense1 + dense2);
  }

  void Init(uint64_t seed, T* params) const override {
    const int64_t d = shape_.dense_units, k = shape_.num_classes;
    FillUniform(seed, 0, HeUniformLimit(conv1_.patch_size()), conv1_.weight_size(), params + w1_);
    FillUniform(seed, 2, HeUniformLimit(conv2_.patch_size()), conv2_.weight_size(), params + w2_);
    FillUniform(seed, 4, HeUniformLimit(flat_), flat_ * d, params + w3_);
    FillUniform(seed, 6, GlorotUniformLimit(d, k), d * k, params + w4_);
    std::fill_n(params + b1_, conv1_.out_channels, T(0));
    std::fill_n(params + b2_, conv2_.out_channels, T(0));
    std::fill_n(params + b3_, d, T(0));
    std::fill_n(params + b4_, k, T(0));
  }

  T TrainStep(const T* params, const T* x, const int32_t* labels, int batch, uint64_t dropout_seed,
              T* grads, int* correct) override {
    DSK_CHECK(batch > 0);
    Reserve(batch);
    Forward(params, x, batch, /*train=*/true, dropout_seed);
    const int64_t d = shape_.dense_units;
    int right = 0;
    const T loss = SoftmaxCrossEntropy(logits_.data(), labels, shape_.num_classes, batch,
                                       dlogits_.data(), &right);
    if (correct != nullptr) *correct = right;

    // Dense part, whole batch.
    T* dh = dh_.data();
    DenseBackward(params + w4_, h_drop_.data(), dlogits_.data(), static_cast<int>(d),
                  shape_.num_classes, batch, grads + w4_, grads + b4_, dh);
    if (shape_.dropout > 0) DropoutBackward(drop_scale_.data(), dh, d * batch, dh);
    ReluBackward(h_.data(), dh, d * batch, dh);
    DenseBackward(params + w3_, a2_.data(), dh, static_cast<int>(flat_), static_cast<int>(d), batch,
                  grads + w3_, grads + b3_, da2_.data());

    // Convolutional part, one image at a time; conv gradients accumulate over the batch.
    std::fill_n(grads + w1_, b2_ + conv2_.out_channels - w1_, T(0));  // conv1/2 weights, biases
    const int h = shape_.height, w = shape_.width;
    for (int s = 0; s < batch; ++s) {
      T* da2 = da2_.data() + s * flat_;
      ReluBackward(a2_.data() + s * flat_, da2, flat_, da2);
      MaxPool2x2Backward(h / 2, w / 2, conv2_.out_channels, da2, am2_.data() + s * flat_,
                         conv_out_.data());
      const T* p1 = p1_.data() + s * pool1_size_;
      Conv2dBackward(conv2_, params + w2_, p1, conv_out_.data(), col_.data(), grads + w2_,
                     grads + b2_, dp1_.data());
      ReluBackward(p1, dp1_.data(), pool1_size_, dp1_.data());
      MaxPool2x2Backward(h, w, conv1_.out_channels, dp1_.data(), am1_.data() + s * pool1_size_,
                         conv_out_.data());
      Conv2dBackward(conv1_, params + w1_, x + int64_t{s} * input_dim(), conv_out_.data(),
                     col_.data(), grads + w1_, grads + b1_, static_cast<T*>(nullptr));
    }
    return loss;
  }

  void Evaluate(const T* params, const T* x, const int32_t* labels, int batch, double* loss_sum,
                int64_t* correct) override {
    for (int start = 0; start < batch; start += kEvalChunk) {
      const int chunk = std::min(kEvalChunk, batch - start);
      Reserve(chunk);
      Forward(params, x + int64_t{start} * input_dim(), chunk, /*train=*/false, 0);
      int right = 0;
      const T mean = SoftmaxCrossEntropy(logits_.data(), labels + start, shape_.num_classes, chunk,
                                         static_cast<T*>(nullptr), &right);
      *loss_sum += static_cast<double>(mean) * chunk;
      *correct += right;
    }
  }

 private:
  static constexpr int kKernel = 5;

  // Sizes every scratch buffer for `batch` examples (grows only).
  void Reserve(int batch) {
    const int64_t d = shape_.dense_units;
    Grow(col_, std::max(conv1_.col_size(), conv2_.col_size()));
    Grow(conv_out_,
         std::max(conv1_.pixels() * conv1_.out_channels, conv2_.pixels() * conv2_.out_channels));
    Grow(p1_, pool1_size_ * batch);
    Grow(am1_, pool1_size_ * batch);
    Grow(dp1_, pool1_size_);
    Grow(a2_, flat_ * batch);
    Grow(am2_, flat_ * batch);
    Grow(da2_, flat_ * batch);
    Grow(h_, d * batch);
    Grow(h_drop_, d * batch);
    Grow(drop_scale_, d * batch);
    Grow(dh_, d * batch);
    Grow(logits_, int64_t{shape_.num_classes} * batch);
    Grow(dlogits_, int64_t{shape_.num_classes} * batch);
  }

  // Fills p1_/am1_, a2_/am2_, h_, h_drop_ (train only), drop_scale_ and logits_.
  void Forward(const T* params, const T* x, int batch, bool train, uint64_t dropout_seed) {
    const int h = shape_.height, w = shape_.width;
    for (int s = 0; s < batch; ++s) {
      T* p1 = p1_.data() + s * pool1_size_;
      Conv2dForward(conv1_, params + w1_, params + b1_, x + int64_t{s} * input_dim(), col_.data(),
                    conv_out_.data());
      MaxPool2x2Forward(h, w, conv1_.out_channels, conv_out_.data(), p1,
                        am1_.data() + s * pool1_size_);
      ReluForward(p1, pool1_size_, p1);
      T* a2 = a2_.data() + s * flat_;
      Conv2dForward(conv2_, params + w2_, params + b2_, p1, col_.data(), conv_out_.data());
      MaxPool2x2Forward(h / 2, w / 2, conv2_.out_channels, conv_out_.data(), a2,
                        am2_.data() + s * flat_);
      ReluForward(a2, flat_, a2);
    }
    const int d = shape_.dense_units;
    DenseForward(params + w3_, params + b3_, a2_.data(), static_cast<int>(flat_), d, batch,
                 h_.data());
    ReluForward(h_.data(), int64_t{d} * batch, h_.data());
    const T* dense2_in = h_.data();
    if (train && shape_.dropout > 0) {
      DropoutForward(shape_.dropout, dropout_seed, 0, int64_t{d} * batch, h_.data(), h_drop_.data(),
                     drop_scale_.data());
      dense2_in = h_drop_.data();
    } else if (train) {
      std::copy_n(h_.data(), int64_t{d} * batch, h_drop_.data());
    }
    DenseForward(params + w4_, params + b4_, dense2_in, d, shape_.num_classes, batch,
                 logits_.data());
  }

  CnnShape shape_;
  ConvShape conv1_, conv2_;
  int64_t pool1_size_ = 0;  // elements of one pooled conv1 output
  int64_t flat_ = 0;        // elements of one pooled conv2 output (dense1's input)
  int64_t w1_, b1_, w2_, b2_, w3_, b3_, w4_, b4_;
  std::vector<T> col_, conv_out_, p1_, dp1_, a2_, da2_, h_, h_drop_, drop_scale_, dh_, logits_,
      dlogits_;
  std::vector<int32_t> am1_, am2_;
};

}  // namespace

template <typename T>
std::unique_ptr<Model<T>> MakeCnn(const CnnShape& shape) {
  return std::make_unique<CnnModel<T>>(shape);
}

template std::unique_ptr<Model<float>> MakeCnn<float>(const CnnShape&);
template std::unique_ptr<Model<double>> MakeCnn<double>(const CnnShape&);

}  // namespace distsim::kernels

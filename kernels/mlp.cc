// Softmax regression and the multi-layer perceptron: a chain of dense layers with ReLU between.
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kernels/check.h"
#include "kernels/layers.h"
#include "kernels/model.h"
#include "kernels/model_util.h"

namespace distsim::kernels {
namespace {

template <typename T>
class MlpModel final : public Model<T> {
 public:
  // dims = {input, hidden..., classes}. Softmax regression is the case without hidden layers.
  MlpModel(std::string name, std::vector<int> dims)
      : name_(std::move(name)), dims_(std::move(dims)) {
    DSK_CHECK(dims_.size() >= 2);
    for (int d : dims_) DSK_CHECK(d > 0);
    for (size_t i = 0; i + 1 < dims_.size(); ++i) {
      const std::string prefix = "fc" + std::to_string(i + 1);
      w_off_.push_back(this->layout_.Add(prefix + "/weight", {dims_[i + 1], dims_[i]}));
      b_off_.push_back(this->layout_.Add(prefix + "/bias", {dims_[i + 1]}));
    }
  }

  std::string name() const override { return name_; }
  int input_dim() const override { return dims_.front(); }
  int num_classes() const override { return dims_.back(); }

  double TrainFlopsPerExample() const override {
    double flops = 0;
    for (int i = 0; i < layers(); ++i) {
      const double mac = double(dims_[i]) * dims_[i + 1];
      flops += 2 * mac * (i == 0 ? 2 : 3);  // forward, weight grad, input grad (not for layer 0)
    }
    return flops;
  }

  void Init(uint64_t seed, T* params) const override {
    for (int i = 0; i < layers(); ++i) {
      const double limit =
          i + 1 < layers() ? HeUniformLimit(dims_[i]) : GlorotUniformLimit(dims_[i], dims_[i + 1]);
      FillUniform(seed, 2 * i, limit, int64_t{dims_[i]} * dims_[i + 1], params + w_off_[i]);
      std::fill_n(params + b_off_[i], dims_[i + 1], T(0));
    }
  }

  T TrainStep(const T* params, const T* x, const int32_t* labels, int batch, uint64_t dropout_seed,
              T* grads, int* correct) override {
    DSK_CHECK(batch > 0);
    Forward(params, x, batch);
    const int n = layers();
    T* delta = Grow(delta_[0], int64_t{MaxDim()} * batch);
    T* next = Grow(delta_[1], int64_t{MaxDim()} * batch);
    int right = 0;
    const T loss =
        SoftmaxCrossEntropy(acts_[n].data(), labels, num_classes(), batch, delta, &right);
    for (int i = n - 1; i >= 0; --i) {
      const T* in = i == 0 ? x : acts_[i].data();
      DenseBackward(params + w_off_[i], in, delta, dims_[i], dims_[i + 1], batch, grads + w_off_[i],
                    grads + b_off_[i], i == 0 ? nullptr : next);
      if (i > 0) {
        ReluBackward(acts_[i].data(), next, int64_t{dims_[i]} * batch, next);
        std::swap(delta, next);
      }
    }
    if (correct != nullptr) *correct = right;
    return loss;
  }

  void Evaluate(const T* params, const T* x, const int32_t* labels, int batch, double* loss_sum,
                int64_t* correct) override {
    for (int start = 0; start < batch; start += kEvalChunk) {
      const int chunk = std::min(kEvalChunk, batch - start);
      Forward(params, x + int64_t{start} * input_dim(), chunk);
      int right = 0;
      const T mean = SoftmaxCrossEntropy(acts_[layers()].data(), labels + start, num_classes(),
                                         chunk, static_cast<T*>(nullptr), &right);
      *loss_sum += static_cast<double>(mean) * chunk;
      *correct += right;
    }
  }

 private:
  int layers() const { return static_cast<int>(dims_.size()) - 1; }
  int MaxDim() const { return *std::max_element(dims_.begin() + 1, dims_.end()); }

  // Fills acts_[1..layers()] (acts_[layers()] holds the logits).
  void Forward(const T* params, const T* x, int batch) {
    acts_.resize(dims_.size());
    const T* in = x;
    for (int i = 0; i < layers(); ++i) {
      T* out = Grow(acts_[i + 1], int64_t{dims_[i + 1]} * batch);
      DenseForward(params + w_off_[i], params + b_off_[i], in, dims_[i], dims_[i + 1], batch, out);
      if (i + 1 < layers()) ReluForward(out, int64_t{dims_[i + 1]} * batch, out);
      in = out;
    }
  }

  std::string name_;
  std::vector<int> dims_;
  std::vector<int64_t> w_off_, b_off_;
  std::vector<std::vector<T>> acts_;  // acts_[i]: output of layer i (post-ReLU), dims_[i] x batch
  std::vector<T> delta_[2];
};

}  // namespace

template <typename T>
std::unique_ptr<Model<T>> MakeSoftmax(int input_dim, int num_classes) {
  return std::make_unique<MlpModel<T>>(
      "softmax " + std::to_string(input_dim) + "-" + std::to_string(num_classes),
      std::vector<int>{input_dim, num_classes});
}

template <typename T>
std::unique_ptr<Model<T>> MakeMlp(std::vector<int> hidden, int input_dim, int num_classes) {
  std::vector<int> dims = {input_dim};
  dims.insert(dims.end(), hidden.begin(), hidden.end());
  dims.push_back(num_classes);
  std::string name = "mlp ";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) name += '-';
    name += std::to_string(dims[i]);
  }
  return std::make_unique<MlpModel<T>>(std::move(name), std::move(dims));
}

template std::unique_ptr<Model<float>> MakeSoftmax<float>(int, int);
template std::unique_ptr<Model<double>> MakeSoftmax<double>(int, int);
template std::unique_ptr<Model<float>> MakeMlp<float>(std::vector<int>, int, int);
template std::unique_ptr<Model<double>> MakeMlp<double>(std::vector<int>, int, int);

}  // namespace distsim::kernels

// Must NOT compile: Hamerly's bounds need the triangle inequality, which the
// cosine distance breaks; the compiler's message names TriangleInequality.
#include <segkit/cluster/hamerly.hpp>
#include <segkit/distance/cosine.hpp>

int main() {
  const xt::xtensor<double, 2> X = {{1, 0}, {0, 1}};
  return static_cast<int>(segkit::Hamerly{}.cluster(X, X, segkit::Cosine{}, segkit::Options{}).iterations);
}

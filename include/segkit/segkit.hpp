#pragma once
// segkit: customer segmentation with policy-based k-means. The umbrella header.

// The core: everything here needs only xtensor, xsimd and xtensor-blas. Reading
// files (segkit/data/csv.hpp) and model files (segkit/io/model.hpp) are in the
// target segkit::io and are included on their own.
#include "segkit/core/assignment.hpp"
#include "segkit/core/clustering.hpp"
#include "segkit/core/date.hpp"
#include "segkit/core/dispatch.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/file.hpp"
#include "segkit/core/options.hpp"
#include "segkit/core/progress.hpp"
#include "segkit/core/work_memory.hpp"

#include "segkit/data/table.hpp"
#include "segkit/features/prepare.hpp"

#include "segkit/scaler/any.hpp"
#include "segkit/scaler/concept.hpp"
#include "segkit/scaler/minmax.hpp"
#include "segkit/scaler/none.hpp"
#include "segkit/scaler/robust.hpp"
#include "segkit/scaler/standard.hpp"

#include "segkit/distance/concept.hpp"
#include "segkit/distance/cosine.hpp"
#include "segkit/distance/manhattan.hpp"
#include "segkit/distance/nearest.hpp"
#include "segkit/distance/squared_euclidean.hpp"

#include "segkit/init/concept.hpp"
#include "segkit/init/given_centers.hpp"
#include "segkit/init/kmeans_parallel.hpp"
#include "segkit/init/kmeans_plus_plus.hpp"
#include "segkit/init/random_init.hpp"

#include "segkit/cluster/concept.hpp"
#include "segkit/cluster/hamerly.hpp"
#include "segkit/cluster/lloyd.hpp"
#include "segkit/cluster/yinyang.hpp"
#include "segkit/cluster/minibatch.hpp"
#include "segkit/density/dbscan.hpp"
#include "segkit/hierarchy/agglomerative.hpp"
#include "segkit/medoids/kmedoids.hpp"
#include "segkit/prototypes/kprototypes.hpp"
#include "segkit/mixture/gaussian.hpp"

#include "segkit/evaluate/calinski_harabasz.hpp"
#include "segkit/evaluate/concept.hpp"
#include "segkit/evaluate/davies_bouldin.hpp"
#include "segkit/evaluate/inertia.hpp"
#include "segkit/evaluate/silhouette.hpp"

#include "segkit/pipeline/pipeline.hpp"

#include "segkit/decompose/pca.hpp"
#include "segkit/profile/profile.hpp"
#include "segkit/report/html.hpp"
#include "segkit/rfm/rfm.hpp"
#include "segkit/select/align.hpp"
#include "segkit/select/choose_eps.hpp"
#include "segkit/select/choose_k.hpp"

#include "segkit/version.hpp"

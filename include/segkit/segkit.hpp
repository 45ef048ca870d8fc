#pragma once
// segkit: customer segmentation with policy-based k-means. The umbrella header.

#include "segkit/core/clustering.hpp"
#include "segkit/core/error.hpp"
#include "segkit/core/options.hpp"

#include "segkit/scaler/concept.hpp"
#include "segkit/scaler/minmax.hpp"
#include "segkit/scaler/none.hpp"
#include "segkit/scaler/robust.hpp"
#include "segkit/scaler/standard.hpp"

#include "segkit/distance/concept.hpp"
#include "segkit/distance/cosine.hpp"
#include "segkit/distance/manhattan.hpp"
#include "segkit/distance/squared_euclidean.hpp"

#include "segkit/init/concept.hpp"
#include "segkit/init/given_centers.hpp"
#include "segkit/init/kmeans_plus_plus.hpp"
#include "segkit/init/random_init.hpp"

#include "segkit/cluster/concept.hpp"
#include "segkit/cluster/lloyd.hpp"

#include "segkit/evaluate/calinski_harabasz.hpp"
#include "segkit/evaluate/concept.hpp"
#include "segkit/evaluate/davies_bouldin.hpp"
#include "segkit/evaluate/inertia.hpp"
#include "segkit/evaluate/silhouette.hpp"

#include "segkit/pipeline/pipeline.hpp"

#include "segkit/version.hpp"

# Installs the segkit build tree into a scratch prefix, then configures, builds and
# runs the consumer project against it (find_package with COMPONENTS io); then the
# same consumer with segkit added from its source tree (add_subdirectory), which
# must install nothing of segkit's (SEGKIT_INSTALL is off below the top level).
# Built with no build type, so unoptimised and without debug information (the program fits eight
# customers; the per-architecture kernel units are compiled at -O3 whatever the build type): the
# two -O3 builds of it took three minutes of a CI run.
set(CONSUMER_BUILD_TYPE "")
file(REMOVE_RECURSE ${WORK_DIR})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE result)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "failed (${result}): ${ARGN}")
  endif()
endfunction()
run(${CMAKE_COMMAND} --install ${SEGKIT_BINARY_DIR} --prefix ${WORK_DIR}/prefix)
run(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${WORK_DIR}/build -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix
    "-DCMAKE_BUILD_TYPE=${CONSUMER_BUILD_TYPE}")
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)

run(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${WORK_DIR}/build-subdirectory "-DCMAKE_BUILD_TYPE=${CONSUMER_BUILD_TYPE}"
    -DSEGKIT_SOURCE_DIR=${SEGKIT_SOURCE_DIR})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build-subdirectory)
run(${WORK_DIR}/build-subdirectory/consumer)
run(${CMAKE_COMMAND} --install ${WORK_DIR}/build-subdirectory --prefix ${WORK_DIR}/prefix-subdirectory)
if(EXISTS ${WORK_DIR}/prefix-subdirectory/include/segkit)
  message(FATAL_ERROR "segkit added with add_subdirectory installed its headers (SEGKIT_INSTALL should be off)")
endif()

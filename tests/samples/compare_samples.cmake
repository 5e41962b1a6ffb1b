# Regenerates the samples into OUT and fails unless every file matches the
# committed copy byte for byte.
file(REMOVE_RECURSE "${OUT}")
execute_process(COMMAND "${PYTHON}" "${GENERATOR}" --out "${OUT}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the generator failed (${rc})")
endif()
foreach(name events.jsonl truth.json)
  execute_process(COMMAND "${CMAKE_COMMAND}" -E compare_files "${OUT}/${name}" "${COMMITTED}/${name}"
                  RESULT_VARIABLE differ)
  if(NOT differ EQUAL 0)
    message(FATAL_ERROR "${name} differs from what scripts/gen_samples.py writes: regenerate and commit it")
  endif()
endforeach()
message(STATUS "samples reproduce byte for byte")

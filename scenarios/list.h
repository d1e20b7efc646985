/* Every built-in scenario: one line each. X(name) names ic_scenario_<name>. */
X(shm_counter)
X(mq)
X(pipe)
X(unix)
X(sysv_msg)
X(shm_ring)
X(hybrid)
X(perms)

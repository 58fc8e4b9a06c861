# The R side of the suite's bridge. Python sends JSON (values tagged with their R
# class), R decodes it, evaluates a code body with `input` bound, and returns the
# value as JSON at full precision (doubles printed with 17 significant digits, which
# round-trip exactly). The same function serves both transports: rpy2 calls
# .csc_run() in-process; Rscript runs this file with --csc-run IN CODE OUT.

.csc_decode <- function(x) {
  if (is.list(x)) {
    cls <- x[["__class__"]]
    if (!is.null(cls)) {
      if (cls == "double") return(as.double(unlist(lapply(x$data, function(v) if (is.null(v)) NA_real_ else v))))
      if (cls == "integer") return(as.integer(unlist(lapply(x$data, function(v) if (is.null(v)) NA_integer_ else v))))
      if (cls == "logical") return(as.logical(unlist(lapply(x$data, function(v) if (is.null(v)) NA else v))))
      if (cls == "character") return(as.character(unlist(lapply(x$data, function(v) if (is.null(v)) NA_character_ else v))))
      if (cls == "factor") {
        codes <- as.integer(unlist(lapply(x$codes, function(v) if (is.null(v)) NA_integer_ else v)))
        lev <- as.character(unlist(x$levels))
        return(factor(lev[codes], levels = lev, ordered = isTRUE(x$ordered)))
      }
      if (cls == "matrix") {
        m <- matrix(.csc_decode(x$data), nrow = x$nrow, ncol = x$ncol)
        if (!is.null(x$colnames)) colnames(m) <- unlist(x$colnames)
        if (!is.null(x$rownames)) rownames(m) <- unlist(x$rownames)
        return(m)
      }
      if (cls == "data.frame") {
        cols <- lapply(x$columns, .csc_decode)
        names(cols) <- unlist(x$names)
        return(as.data.frame(cols, stringsAsFactors = FALSE, check.names = FALSE))
      }
      if (cls == "null") return(NULL)
      stop("unknown tagged class from Python: ", cls)
    }
    out <- lapply(x, .csc_decode)
    names(out) <- names(x)
    return(out)
  }
  x
}

.csc_num <- function(x) {
  s <- sprintf("%.17g", x)
  s[is.na(x)] <- '"NA"'
  s[is.nan(x)] <- '"NaN"'
  s[is.infinite(x) & x > 0] <- '"Inf"'
  s[is.infinite(x) & x < 0] <- '"-Inf"'
  structure(paste0("[", paste(s, collapse = ","), "]"), class = "json")
}

.csc_encode <- function(x) {
  if (is.null(x)) return(list("__class__" = "null"))
  if (is.data.frame(x)) {
    return(list("__class__" = "data.frame", names = names(x),
                columns = unname(lapply(x, .csc_encode)),
                row_names = if (is.character(attr(x, "row.names"))) rownames(x) else NULL))
  }
  if (is.factor(x)) {
    return(list("__class__" = "factor", levels = levels(x), codes = as.integer(x),
                ordered = is.ordered(x)))
  }
  if (is.matrix(x) && is.atomic(x)) {
    dn <- dimnames(x)
    return(list("__class__" = "matrix", nrow = nrow(x), ncol = ncol(x),
                data = .csc_encode(as.vector(x)),
                rownames = if (!is.null(dn)) dn[[1]] else NULL,
                colnames = if (!is.null(dn)) dn[[2]] else NULL))
  }
  if (is.list(x)) {
    out <- lapply(unclass(x), .csc_encode)
    if (is.null(names(x))) return(unname(out))
    return(out)
  }
  if (is.atomic(x)) {
    nm <- names(x)
    type <- if (is.double(x)) "double" else if (is.integer(x)) "integer" else
      if (is.logical(x)) "logical" else "character"
    data <- if (is.double(x)) .csc_num(as.vector(x)) else as.vector(unname(x))
    if (type == "character") data <- as.character(data)
    return(list("__class__" = type, data = data, names = nm))
  }
  if (is.function(x)) return(list("__class__" = "null"))
  list("__class__" = "character", data = paste(format(x), collapse = "\n"))
}

.csc_run <- function(input_json, code, packages_json = "[]", seed = NA_integer_) {
  packages <- jsonlite::fromJSON(packages_json)
  for (p in packages) {
    if (!requireNamespace(p, quietly = TRUE)) {
      return(as.character(jsonlite::toJSON(list(missing_package = p), auto_unbox = TRUE)))
    }
    suppressPackageStartupMessages(library(p, character.only = TRUE))
  }
  warnings <- character(0)
  env <- new.env(parent = globalenv())
  env$input <- .csc_decode(jsonlite::fromJSON(input_json, simplifyVector = TRUE,
                                              simplifyDataFrame = FALSE, simplifyMatrix = FALSE))
  if (!is.na(seed)) {
    suppressWarnings(RNGkind("Mersenne-Twister", "Inversion", "Rejection"))
    set.seed(seed)
  }
  value <- tryCatch(
    withCallingHandlers(
      eval(parse(text = code), envir = env),
      warning = function(w) {
        warnings <<- c(warnings, conditionMessage(w))
        invokeRestart("muffleWarning")
      }),
    error = function(e) structure(list(message = conditionMessage(e)), class = "csc_error"))
  if (inherits(value, "csc_error")) {
    out <- list(error = value$message, warnings = warnings)
  } else {
    out <- list(value = .csc_encode(value), warnings = warnings)
  }
  as.character(jsonlite::toJSON(out, auto_unbox = TRUE, json_verbatim = TRUE, null = "null",
                                na = "null", digits = NA))
}

.csc_args <- commandArgs(trailingOnly = TRUE)
if (length(.csc_args) >= 4 && .csc_args[1] == "--csc-run") {
  .csc_seed <- if (length(.csc_args) >= 6) as.integer(.csc_args[6]) else NA_integer_
  writeLines(.csc_run(paste(readLines(.csc_args[2], warn = FALSE), collapse = "\n"),
                      paste(readLines(.csc_args[3], warn = FALSE), collapse = "\n"),
                      if (length(.csc_args) >= 5) .csc_args[5] else "[]",
                      .csc_seed),
             .csc_args[4])
}

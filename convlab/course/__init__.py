"""Teaching with the lessons: copies for learners, nbgrader courses, grading, reports.

- :mod:`convlab.course.cells` -- the nbgrader metadata of solution and test cells, and
  reading a notebook with a one-line error;
- :mod:`convlab.course.copies` -- the lessons shipped in the package, the files they link to,
  and copying them without overwriting a learner's edits;
- :mod:`convlab.course.edition` -- the self-learner edition (answers blank, checks that never
  stop "Run All", hints and the solution on request);
- :mod:`convlab.course.student` -- student copies, as nbgrader releases them (without nbgrader);
- :mod:`convlab.course.nbgrader_course` -- an nbgrader course directory from the lessons;
- :mod:`convlab.course.grade` -- autograding a class in parallel, and merging gradebooks;
- :mod:`convlab.course.report` -- what the class got wrong (HTML) and an LMS gradebook (CSV);
- :mod:`convlab.course.reexecute` -- re-running lessons and writing them byte-stable.

Each is a command of ``python -m convlab`` (``lessons``, ``student``, ``course``, ``grade``,
``report``, ``reexecute``, ``tag-lessons``).
"""
